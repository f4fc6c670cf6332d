// quickref.mjs - QUICKREF.md as a printable PDF (A4, two pages at most), with the
// course's fonts embedded, so it prints the same from every machine. Run by
// `tools/slides quickref` (make quickref); not meant to be run alone.
//
// Usage: node slides/quickref.mjs --chrome PATH QUICKREF.md OUT.pdf
// Writes OUT.pdf (and OUT.html beside it); prints "quickref: OUT.pdf, N pages".
// Exit status 1 when it takes more than two pages or a font did not load.
import { readFileSync, writeFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import MarkdownIt from 'markdown-it'

const MAX_PAGES = 2
const top = resolve(dirname(fileURLToPath(import.meta.url)), '..')

function font(family, pkg, weight, style) {
  const file = resolve(top, 'node_modules', '@fontsource', pkg, 'files',
    `${pkg}-latin-${weight}-${style}.woff2`)
  return `@font-face { font-family: '${family}'; font-weight: ${weight}; font-style: ${style}; ` +
    `src: url(data:font/woff2;base64,${readFileSync(file).toString('base64')}) format('woff2'); }`
}

const css = `
${font('Course Sans', 'ibm-plex-sans', 400, 'normal')}
${font('Course Sans', 'ibm-plex-sans', 700, 'normal')}
${font('Course Mono', 'ibm-plex-mono', 400, 'normal')}
@page { size: A4; margin: 10mm 11mm; }
body { font: 8.6pt/1.3 'Course Sans', sans-serif; margin: 0; color: #111; }
h1 { font-size: 13pt; margin: 0 0 3pt; }
h2 { font-size: 10pt; margin: 7pt 0 2pt; border-bottom: 0.5pt solid #999; }
p { margin: 2pt 0; }
ul { margin: 2pt 0; padding-left: 12pt; }
pre { background: #f3f3f3; padding: 3pt 4pt; margin: 2pt 0 4pt; break-inside: avoid;
      white-space: pre-wrap; }
code { font-family: 'Course Mono', monospace; font-size: 7.4pt; }
table { border-collapse: collapse; margin: 2pt 0 4pt; }
td, th { border: 0.5pt solid #bbb; padding: 1pt 3pt; vertical-align: top; text-align: left; }
`

async function main() {
  const args = process.argv.slice(2)
  const at = args.indexOf('--chrome')
  if (at < 0 || args.length !== 4) {
    console.error('usage: node slides/quickref.mjs --chrome PATH QUICKREF.md OUT.pdf')
    process.exit(2)
  }
  const chrome = args[at + 1]
  const [source, out] = args.filter((_, i) => i !== at && i !== at + 1)
  const body = new MarkdownIt({ html: false }).render(readFileSync(source, 'utf8'))
  const htmlFile = out.replace(/\.pdf$/, '') + '.html'
  writeFileSync(htmlFile, `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">` +
    `<title>Quick reference: Linux shared memory in C</title><style>${css}</style></head>` +
    `<body>${body}</body></html>`)

  const { default: puppeteer } = await import('puppeteer-core')
  const browser = await puppeteer.launch({
    executablePath: chrome, headless: true, pipe: true,
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--font-render-hinting=none'],
  })
  try {
    const page = await browser.newPage()
    await page.goto(pathToFileURL(resolve(htmlFile)).href, { waitUntil: 'load' })
    await page.evaluate(() => document.fonts.ready)
    const missing = await page.evaluate(() =>
      ['Course Sans', 'Course Mono'].filter((f) => !document.fonts.check(`10px '${f}'`)))
    const pdf = await page.pdf({ format: 'A4', preferCSSPageSize: true, printBackground: true })
    writeFileSync(out, pdf)
    const pages = (Buffer.from(pdf).toString('latin1').match(/\/Type\s*\/Page[^s]/g) || []).length
    console.log(`quickref: ${out}, ${pages} page${pages === 1 ? '' : 's'}`)
    if (missing.length) {
      console.error(`quickref: the course font did not load: ${missing.join(', ')}`)
      process.exitCode = 1
    }
    if (pages > MAX_PAGES) {
      console.error(`quickref: ${pages} pages, more than ${MAX_PAGES}: shorten QUICKREF.md`)
      process.exitCode = 1
    }
  } finally {
    await browser.close()
  }
}

main().catch((e) => { console.error(`quickref: ${e.message}`); process.exit(1) })
