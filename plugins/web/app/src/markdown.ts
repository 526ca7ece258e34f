// Markdown from the model: parsed by marked, then sanitized by DOMPurify before it touches the DOM.
// Code blocks are highlighted afterwards by a lazily loaded highlight.js core with a few languages
// (highlight.ts, one chunk).
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
  return DOMPurify.sanitize(html, {
    USE_PROFILES: { html: true },
    FORBID_TAGS: ['style', 'form', 'input', 'button', 'textarea', 'select'],
    FORBID_ATTR: ['style'],
  })
}

type Highlighter = (element: HTMLElement) => void
let highlighter: Promise<Highlighter> | undefined

function loadHighlighter(): Promise<Highlighter> {
  highlighter ??= import('./highlight').then((module) => module.highlight)
  return highlighter
}

/** Highlights the code blocks inside `root` that name a known language. */
export function highlightWithin(root: HTMLElement): void {
  const blocks = root.querySelectorAll<HTMLElement>('pre code[class*="language-"]:not([data-highlighted])')
  if (blocks.length === 0) return
  void loadHighlighter().then((highlight) => blocks.forEach((block) => block.isConnected && highlight(block)))
}
