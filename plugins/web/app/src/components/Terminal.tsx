import { useEffect, useRef, useState } from 'preact/hooks'
import { call, connectTerminal } from '../api'
import { api, directory, reportError } from '../state'

/** A terminal on `/pty`, attached over a WebSocket; xterm.js is loaded only when this opens. */
export function TerminalPanel() {
  const host = useRef<HTMLDivElement>(null)
  const [status, setStatus] = useState('starting…')
  useEffect(() => {
    let disposed = false
    let cleanup = () => {}
    const dir = directory.value
    void (async () => {
      const [{ Terminal }, { FitAddon }] = await Promise.all([
        import('@xterm/xterm'),
        import('@xterm/addon-fit'),
        import('@xterm/xterm/css/xterm.css'),
      ])
      if (disposed || !host.current) return
      const pty = await call(api().pty.create({ title: 'web' }))
      const terminal = new Terminal({
        cursorBlink: true,
        fontSize: 13,
        convertEol: false,
        theme: { background: '#111318' },
      })
      const fit = new FitAddon()
      terminal.loadAddon(fit)
      terminal.open(host.current)
      const socket = await connectTerminal(dir, pty.id)
      socket.binaryType = 'arraybuffer'
      socket.onopen = () => setStatus('connected')
      socket.onclose = () => setStatus('closed')
      socket.onmessage = (event) => {
        // Binary frames carry the cursor; text frames are output.
        if (typeof event.data === 'string') terminal.write(event.data)
      }
      const input = terminal.onData((data) => socket.readyState === WebSocket.OPEN && socket.send(data))
      let timer: ReturnType<typeof setTimeout> | undefined
      const resize = () => {
        fit.fit()
        clearTimeout(timer)
        timer = setTimeout(
          () =>
            void call(api().pty.update({ ptyID: pty.id, size: { rows: terminal.rows, cols: terminal.cols } })).catch(
              () => {},
            ),
          150,
        )
      }
      const observer = new ResizeObserver(resize)
      observer.observe(host.current)
      resize()
      terminal.focus()
      cleanup = () => {
        observer.disconnect()
        input.dispose()
        socket.close()
        terminal.dispose()
        void call(api().pty.remove({ ptyID: pty.id })).catch(() => {})
      }
      if (disposed) cleanup()
    })().catch((error) => {
      setStatus('failed')
      reportError(error)
    })
    return () => {
      disposed = true
      cleanup()
    }
  }, [directory.value])
  return (
    <div class="terminal-panel">
      <div class="muted small" data-terminal-status={status}>
        Terminal: {status}
      </div>
      <div class="terminal" ref={host} />
    </div>
  )
}
