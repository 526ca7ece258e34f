// Markdown from the model: parsed by marked, then sanitized by DOMPurify before it touches the DOM.
// Code blocks are highlighted afterwards by a lazily loaded highlight.js core with a few languages.
import DOMPurify from 'dompurify'
import { Marked } from 'marked'

const marked = new Marked({ gfm: true, breaks: false, async: false })

DOMPurify.addHook('afterSanitizeAttributes', (node) => {
  // Links open in a new tab and never get the opener.
  if (node.tagName === 'A') {
    node.setAttribute('target', '_blank')
    node.setAttribute('rel', 'noopener noreferrer')
  }
})

/** Safe HTML for a markdown text. */
export function renderMarkdown(text: string): string {
  const html = marked.parse(text) as string
  return DOMPurify.sanitize(html, { USE_PROFILES: { html: true }, FORBID_TAGS: ['style', 'form', 'input', 'button', 'textarea', 'select'], FORBID_ATTR: ['style'] })
}

type Highlighter = (element: HTMLElement) => void
let highlighter: Promise<Highlighter> | undefined

function loadHighlighter(): Promise<Highlighter> {
  highlighter ??= Promise.all([
    import('highlight.js/lib/core'),
    import('highlight.js/lib/languages/typescript'),
    import('highlight.js/lib/languages/javascript'),
    import('highlight.js/lib/languages/json'),
    import('highlight.js/lib/languages/bash'),
    import('highlight.js/lib/languages/python'),
    import('highlight.js/lib/languages/css'),
    import('highlight.js/lib/languages/xml'),
    import('highlight.js/lib/languages/diff'),
    import('highlight.js/lib/languages/go'),
    import('highlight.js/lib/languages/rust'),
    import('highlight.js/lib/languages/yaml'),
  ]).then(([core, ts, js, json, bash, python, css, xml, diff, go, rust, yaml]) => {
    const hljs = core.default
    const languages = { typescript: ts, javascript: js, json, bash, python, css, xml, diff, go, rust, yaml }
    for (const [name, module] of Object.entries(languages)) hljs.registerLanguage(name, module.default)
    hljs.registerAliases(['ts', 'tsx'], { languageName: 'typescript' })
    hljs.registerAliases(['js', 'jsx', 'mjs'], { languageName: 'javascript' })
    hljs.registerAliases(['sh', 'shell', 'zsh'], { languageName: 'bash' })
    hljs.registerAliases(['py'], { languageName: 'python' })
    hljs.registerAliases(['html', 'svg'], { languageName: 'xml' })
    hljs.registerAliases(['yml'], { languageName: 'yaml' })
    hljs.configure({ ignoreUnescapedHTML: true })
    return (element: HTMLElement) => {
      const language = /language-([\w-]+)/.exec(element.className)?.[1]
      if (language && hljs.getLanguage(language)) hljs.highlightElement(element)
    }
  })
  return highlighter
}

/** Highlights the code blocks inside `root` that name a known language. */
export function highlightWithin(root: HTMLElement): void {
  const blocks = root.querySelectorAll<HTMLElement>('pre code[class*="language-"]:not([data-highlighted])')
  if (blocks.length === 0) return
  void loadHighlighter().then((highlight) => blocks.forEach((block) => block.isConnected && highlight(block)))
}
