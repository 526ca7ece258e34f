import { expect } from 'chai'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { PluginLoadError } from '../../../kernel/core/errors.js'
import type { Kernel } from '../../../kernel/core/kernel-api.js'
import { definePlugin, type PluginDefinition } from '../../../kernel/core/plugin-definition.js'
import type { LoadedPlugin } from '../../../kernel/core/plugin-loader.js'
import { GlobalDisposed } from '../../../kernel/events/kernel-events.js'
import { cleanup, startServer, tempDir } from '../../support/helper.js'

const builtin = (definition: PluginDefinition): LoadedPlugin => ({
  definition,
  source: `${definition.name}/index.js`,
  builtin: true,
})

describe('kernel: what a plugin needs from the kernel', () => {
  after(cleanup)

  it('gives a plugin that lists `needs` only those members, plus version and log, and keeps them live', async () => {
    let seen: Partial<Kernel> | undefined
    const plugin = definePlugin({
      name: 'needs-some',
      needs: ['bus', 'reloading', 'publish'],
      register(_app, kernel) {
        seen = kernel
      },
    })
    const server = await startServer({ builtins: [builtin(plugin)] })
    expect(Object.keys(seen!).sort()).to.deep.equal(['bus', 'log', 'publish', 'reloading', 'version'])
    expect(seen).not.to.have.property('storage')
    expect(seen!.bus).to.equal(server.kernel.bus)
    expect(seen!.version).to.equal(server.kernel.version)
    server.kernel.reloading = true
    expect(seen!.reloading).to.equal(true)
    server.kernel.reloading = false
    expect(seen!.reloading).to.equal(false)
    const published: string[] = []
    server.kernel.bus.subscribe((event) => published.push(event.payload.type))
    seen!.publish!('global', GlobalDisposed, {})
    expect(published).to.deep.equal(['global.disposed'])
  })

  it('gives a plugin without `needs` the whole kernel', async () => {
    let seen: Kernel | undefined
    const plugin = definePlugin({
      name: 'needs-all',
      register(_app, kernel) {
        seen = kernel
      },
    })
    const server = await startServer({ builtins: [builtin(plugin)] })
    expect(seen).to.equal(server.kernel)
  })

  it('stops start-up naming a built-in plugin that needs a member the kernel does not have', async () => {
    const plugin = { name: 'needs-too-much', needs: ['bus', 'database'], register() {} } as unknown as PluginDefinition
    try {
      await startServer({ builtins: [builtin(plugin)] })
      expect.fail('startup should have failed')
    } catch (error) {
      expect(error).to.be.instanceOf(PluginLoadError)
      expect((error as Error).message)
        .to.include('"needs-too-much"')
        .and.include('"database"')
        .and.not.include('"bus"')
    }
  })

  it('leaves out a third-party plugin that needs a member the kernel does not have, saying why', async () => {
    const file = join(tempDir(), 'needs-unknown.mjs')
    writeFileSync(file, `export default { name: 'needs-unknown', needs: ['nope'], register() {} }\n`)
    const server = await startServer({ builtins: [], plugins: [file] })
    expect(server.skipped.map((skipped) => skipped.plugin)).to.deep.equal(['needs-unknown'])
    expect(server.skipped[0]!.error.message).to.include('"nope"')
  })
})
