// Splitting a shell command line into its simple commands, for permission patterns.

/** The simple commands of a command line: split on `;`, `&&`, `||`, `|`, `&` and newlines outside quotes. */
export function splitCommands(line: string): string[] {
  const commands: string[] = []
  let current = ''
  let quote: '"' | "'" | undefined
  for (let i = 0; i < line.length; i++) {
    const char = line[i]!
    if (quote) {
      current += char
      if (char === '\\' && quote === '"' && i + 1 < line.length) current += line[++i]
      else if (char === quote) quote = undefined
      continue
    }
    if (char === '\\' && i + 1 < line.length) {
      current += char + line[++i]
      continue
    }
    if (char === '"' || char === "'") {
      quote = char
      current += char
      continue
    }
    if (char === ';' || char === '\n' || char === '|' || char === '&') {
      // `2>&1` and `>&` are redirections, not separators.
      if (char === '&' && (line[i - 1] === '>' || line[i + 1] === '>')) {
        current += char
        continue
      }
      if ((char === '&' || char === '|') && line[i + 1] === char) i++
      if (current.trim()) commands.push(current.trim())
      current = ''
      continue
    }
    current += char
  }
  if (current.trim()) commands.push(current.trim())
  return commands
}

/** The words of a simple command, quotes removed. */
export function words(command: string): string[] {
  const out: string[] = []
  let current = ''
  let quote: '"' | "'" | undefined
  let started = false
  for (let i = 0; i < command.length; i++) {
    const char = command[i]!
    if (quote) {
      if (char === quote) quote = undefined
      else if (char === '\\' && quote === '"' && i + 1 < command.length) current += command[++i]
      else current += char
      continue
    }
    if (char === '"' || char === "'") {
      quote = char
      started = true
    } else if (char === '\\' && i + 1 < command.length) {
      current += command[++i]
      started = true
    } else if (/\s/.test(char)) {
      if (started) out.push(current)
      current = ''
      started = false
    } else {
      current += char
      started = true
    }
  }
  if (started) out.push(current)
  return out
}

// Programs whose first argument is a subcommand worth its own permission (`git commit *`).
const WITH_SUBCOMMAND = new Set([
  'git',
  'npm',
  'pnpm',
  'yarn',
  'bun',
  'npx',
  'docker',
  'cargo',
  'go',
  'kubectl',
  'pip',
  'pip3',
  'poetry',
  'uv',
  'make',
  'gh',
  'brew',
  'apt',
  'apt-get',
  'systemctl',
  'dotnet',
  'mvn',
  'gradle',
  'deno',
  'terraform',
  'helm',
])

/** What an `always` reply allows: the program (and its subcommand) with any arguments. */
export function alwaysPattern(command: string): string {
  const parts = words(command).filter((word) => !/^[A-Za-z_][A-Za-z0-9_]*=/.test(word))
  const [program, subcommand] = parts
  if (!program) return command
  if (subcommand && WITH_SUBCOMMAND.has(program) && !subcommand.startsWith('-')) return `${program} ${subcommand} *`
  return `${program} *`
}

// Commands whose arguments are paths they read or change.
export const PATH_COMMANDS = new Set([
  'cd',
  'rm',
  'cp',
  'mv',
  'mkdir',
  'rmdir',
  'touch',
  'chmod',
  'chown',
  'cat',
  'ln',
  'tee',
  'truncate',
  'head',
  'tail',
  'less',
  'more',
  'ls',
  'find',
])
