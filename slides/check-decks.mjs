// check-decks.mjs - look at every slide of the rendered decks the way a student
// would see them, and fail what would look broken in class. Run by
// `tools/slides check` (which also cuts off the network); not meant to be run alone.
//
// Usage: node slides/check-decks.mjs [--static-only] [--chrome PATH] --shots DIR DECK.html...
//
// Static check (always): the HTML holds no remote reference (http:, https: or //
// in src, href, url() or @import, also inside embedded SVG images).
// Browser check (unless --static-only): open each deck in headless chromium at
// Marp's slide size, 1280x720, go to every slide, save a screenshot to
// DIR/DECK-NN.png and fail the slide when
//   - it is blank (nothing but the background, not counting the page number),
//   - it looks exactly like the slide before it,
//   - something sticks out of it (an element's box crosses the slide's edge, or
//     the slide's content is taller or wider than the slide),
//   - an element scrolls or clips its own content (a code block too long),
//   - Marp had to shrink a code block to fit it on the slide,
//   - text is smaller than 16 px, a diagram (an SVG image) is shown at less than
//     75% of its size, or an image did not load,
//   - the page asked for anything but itself (a file, a font, a CDN script).
// Prints one line per deck, indented details under a failing deck, and last
// "N passed, N failed". Exit status 0 when every deck passed, 1 otherwise, 2 on a
// usage error or when the browser cannot be started.
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs'
import { basename, join, relative, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'

const SLIDE_WIDTH = 1280
const SLIDE_HEIGHT = 720
const MIN_TEXT_PX = 16
const MIN_CODE_SCALE = 0.95
const MIN_DIAGRAM_SCALE = 0.75
const CHROMIUM_ARGS = [
  '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run',
  '--disable-default-apps', '--disable-extensions', '--mute-audio', '--hide-scrollbars',
  '--font-render-hinting=none',
]

function usage(message) {
  console.error(`check-decks: ${message}`)
  console.error('usage: node slides/check-decks.mjs [--static-only] [--chrome PATH] --shots DIR DECK.html...')
  process.exit(2)
}

function parseArgs(argv) {
  const opts = { staticOnly: false, chrome: process.env.CHROME_PATH || '/usr/bin/chromium', shots: null, decks: [] }
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]
    if (arg === '--static-only') opts.staticOnly = true
    else if (arg === '--chrome') opts.chrome = argv[++i]
    else if (arg === '--shots') opts.shots = argv[++i]
    else if (arg.startsWith('-')) usage(`unknown option ${arg}`)
    else opts.decks.push(resolve(arg))
  }
  if (!opts.decks.length) usage('no deck given')
  if (!opts.staticOnly && !opts.shots) usage('--shots DIR is needed for the browser check')
  return opts
}

// ---- static check -----------------------------------------------------------------

const QUOTE = String.raw`(?:"|'|&quot;|&#39;|&#x27;)?\s*`
const REMOTE = String.raw`(?:https?:)?\/\/[^\s"'<>)]*`
const REMOTE_PATTERNS = [
  new RegExp(String.raw`\b(?:src|href|xlink:href|srcset|poster|action)\s*=\s*${QUOTE}(${REMOTE})`, 'gi'),
  new RegExp(String.raw`url\(\s*${QUOTE}(${REMOTE})`, 'gi'),
  new RegExp(String.raw`@import\s+(?:url\(\s*)?${QUOTE}(${REMOTE})`, 'gi'),
]

function remoteReferences(text, where) {
  const found = []
  for (const pattern of REMOTE_PATTERNS) {
    for (const match of text.matchAll(pattern)) found.push(`${where}: remote reference ${match[1].slice(0, 80)}`)
  }
  return found
}

// Remote references in the HTML itself and inside the SVG images embedded in it.
function staticProblems(html) {
  const problems = remoteReferences(html, 'HTML')
  for (const match of html.matchAll(/data:image\/svg\+xml;base64,([A-Za-z0-9+/=]+)/g)) {
    problems.push(...remoteReferences(Buffer.from(match[1], 'base64').toString('utf8'), 'embedded SVG'))
  }
  for (const match of html.matchAll(/data:image\/svg\+xml(?:;charset=utf-?8)?,([^"')\s]+)/gi)) {
    let svg
    try { svg = decodeURIComponent(match[1]) } catch { continue }
    problems.push(...remoteReferences(svg, 'embedded SVG'))
  }
  return [...new Set(problems)]
}

// ---- browser check ------------------------------------------------------------------

// Shown while checking: every fragment of a slide (its final state), no on-screen
// controller. The second sheet also hides the page number, header and footer, for
// the blank and duplicate comparisons.
const SHOW_ALL_CSS = `
  [data-bespoke-marp-fragment=inactive] { visibility: visible !important; }
  .bespoke-marp-osc, .bespoke-progress-parent { display: none !important; }`
const CONTENT_ONLY_CSS = `
  section::after { visibility: hidden !important; }
  section > header, section > footer { visibility: hidden !important; }`

// Runs in the page: measure the active slide. Returns a list of problems.
function measureActiveSlide({ minTextPx, minCodeScale, minDiagramScale }) {
  const problems = []
  const svg = document.querySelector('svg.bespoke-marp-active')
  // A slide with a split background has its text in a section of its own.
  const section = svg && (svg.querySelector('section[data-marpit-advanced-background="content"]') || svg.querySelector('section'))
  if (!section) return ['no active slide found']
  const box = section.getBoundingClientRect()
  const scale = box.width / section.offsetWidth || 1
  const describe = (el) => {
    const text = (el.textContent || '').replace(/\s+/g, ' ').trim()
    const name = el.tagName.toLowerCase() === 'marp-pre' ? 'pre' : el.tagName.toLowerCase()
    if (text) return `<${name}> "${text.slice(0, 40)}${text.length > 40 ? '...' : ''}"`
    const img = el.matches('img') ? el : el.querySelector('img')
    return img ? `image "${(img.getAttribute('alt') || '').slice(0, 40)}"` : `<${name}>`
  }
  const codeShape = (el) => {
    const lines = (el.textContent || '').replace(/\n$/, '').split('\n')
    return `${lines.length} line${lines.length === 1 ? '' : 's'}, longest ${Math.max(...lines.map((l) => l.length))} chars`
  }
  const tolerance = 1
  const reported = []
  for (const el of section.querySelectorAll('*')) {
    const style = getComputedStyle(el)
    if (el.matches('img') && el.complete && el.naturalWidth === 0) {
      problems.push(`image did not load: ${(el.getAttribute('src') || '').slice(0, 60)}`)
    }
    if (style.display === 'none' || style.visibility === 'hidden') continue
    const r = el.getBoundingClientRect()
    // The course's diagrams are SVG drawn at the size they are meant to be read.
    if (el.matches('img[src^="data:image/svg+xml"]') && el.naturalWidth > 0) {
      const drawnScale = r.width / el.naturalWidth / scale
      if (drawnScale < minDiagramScale) {
        problems.push(`small diagram: ${describe(el)} is shown at ${Math.round(drawnScale * 100)}% of its size, its text gets too small (give it a slide: ![bg 92%](...))`)
      }
    }
    if (r.width === 0 && r.height === 0) continue
    // A code block is reported as a whole, whichever of its parts sticks out, and
    // nothing inside an element that was already reported is reported again.
    const host = el.closest('pre, marp-pre') || el
    if (reported.some((o) => o.contains(host))) continue
    const what = host.matches('pre, marp-pre') ? `code block (${codeShape(host)})` : describe(host)
    for (const axis of ['x', 'y']) {
      const overflow = style[axis === 'x' ? 'overflowX' : 'overflowY']
      const scrolled = axis === 'x' ? el.scrollWidth - el.clientWidth : el.scrollHeight - el.clientHeight
      if (overflow !== 'visible' && scrolled > tolerance && !reported.includes(host)) {
        reported.push(host)
        problems.push(`cut off: ${what} ${overflow === 'hidden' || overflow === 'clip' ? 'clips' : 'scrolls'} ${Math.round(scrolled)} px of its content ${axis === 'x' ? 'sideways' : 'at the bottom'}`)
      }
    }
    const over = Math.max(box.left - r.left, box.top - r.top, r.right - box.right, r.bottom - box.bottom)
    if (over > tolerance && !reported.includes(host)) {
      reported.push(host)
      problems.push(`cut off: ${what} sticks out of the slide by ${Math.round(over / scale)} px`)
    }
    const ownText = [...el.childNodes].some((n) => n.nodeType === Node.TEXT_NODE && n.textContent.trim())
    if (ownText && host === el && el.offsetWidth > 0) {
      const elScale = r.width / el.offsetWidth / scale
      const px = parseFloat(style.fontSize) * elScale
      if (px < minTextPx) problems.push(`tiny text: ${describe(el)} is ${px.toFixed(1)} px (at least ${minTextPx})`)
    }
  }
  if (section.scrollHeight - section.clientHeight > tolerance || section.scrollWidth - section.clientWidth > tolerance) {
    if (!reported.length) {
      const codes = [...section.querySelectorAll('marp-pre, pre')].map((pre) => `code block: ${codeShape(pre)}; `).join('')
      problems.push(`too full: the content needs ${section.scrollWidth}x${section.scrollHeight} px with the margins, the slide has ${section.clientWidth}x${section.clientHeight} (${codes}fewer lines, or two slides)`)
    }
  }
  for (const pre of section.querySelectorAll('marp-pre, pre')) {
    const code = pre.querySelector('code') || pre
    if (!code.offsetWidth) continue
    const codeScale = code.getBoundingClientRect().width / code.offsetWidth / scale
    if (codeScale < minCodeScale) {
      problems.push(`code shrunk to ${Math.round(codeScale * 100)}% to fit the slide (${codeShape(code)}): use fewer or shorter lines`)
    }
  }
  return [...new Set(problems)]
}

// Runs in the page: how many pixels of a PNG differ from its most common colour.
async function inkPixels(base64) {
  const blob = await (await fetch(`data:image/png;base64,${base64}`)).blob()
  const bitmap = await createImageBitmap(blob)
  const canvas = new OffscreenCanvas(bitmap.width, bitmap.height)
  const context = canvas.getContext('2d')
  context.drawImage(bitmap, 0, 0)
  const { data } = context.getImageData(0, 0, bitmap.width, bitmap.height)
  const counts = new Map()
  for (let i = 0; i < data.length; i += 4 * 7) {
    const key = (data[i] << 16) | (data[i + 1] << 8) | data[i + 2]
    counts.set(key, (counts.get(key) || 0) + 1)
  }
  const background = [...counts.entries()].sort((a, b) => b[1] - a[1])[0][0]
  const [br, bg, bb] = [(background >> 16) & 255, (background >> 8) & 255, background & 255]
  let ink = 0
  for (let i = 0; i < data.length; i += 4) {
    if (Math.abs(data[i] - br) + Math.abs(data[i + 1] - bg) + Math.abs(data[i + 2] - bb) > 24) ink++
  }
  return ink
}

async function checkDeckInBrowser(browser, analysis, deck, shotsDir) {
  const name = basename(deck, '.html')
  const problems = []
  const page = await browser.newPage()
  const requests = []
  await page.setViewport({ width: SLIDE_WIDTH, height: SLIDE_HEIGHT, deviceScaleFactor: 1 })
  await page.setRequestInterception(true)
  const deckUrl = pathToFileURL(deck).href
  page.on('request', (request) => {
    const url = request.url()
    if (url.split('#')[0] === deckUrl || /^(data|blob|about):/.test(url)) return request.continue()
    requests.push(url)
    return request.abort('blockedbyclient')
  })
  page.on('pageerror', (error) => problems.push(`script error in the page: ${String(error.message || error).split('\n')[0]}`))
  try {
    await page.goto(`${deckUrl}#1`, { waitUntil: 'load' })
    await page.addStyleTag({ content: SHOW_ALL_CSS })
    const count = await page.evaluate(() => document.querySelectorAll('svg.bespoke-marp-slide').length)
    if (!count) problems.push('no slides found (is this a Marp deck rendered with the bespoke template?)')
    // The course's own fonts must be the ones used: a fallback to whatever the
    // machine has would make the layout checked here differ from the learner's.
    const fonts = await page.evaluate(async () => {
      await document.fonts.ready
      const want = ["16px 'Course Sans'", "bold 16px 'Course Sans'", "16px 'Course Mono'"]
      await Promise.all(want.map((f) => document.fonts.load(f).catch(() => [])))
      return want.filter((f) => ![...document.fonts].some((face) =>
        face.status === 'loaded' && f.includes(face.family.replace(/"/g, "'")) &&
        (f.startsWith('bold') ? face.weight === '700' : face.weight === '400')))
    })
    for (const f of fonts) problems.push(`the course font ${f.replace(/^\S+ /, '')} did not load (embedded by slides/marp.config.mjs)`)
    const digits = Math.max(2, String(count).length)
    let previous = null
    for (let n = 1; n <= count; n++) {
      await page.evaluate((n) => { location.hash = `#${n}` }, n)
      await page.waitForFunction(
        (n) => document.querySelectorAll('svg.bespoke-marp-slide')[n - 1]?.classList.contains('bespoke-marp-active'),
        { timeout: 10000 }, n)
      await page.evaluate(async () => {
        await document.fonts.ready
        await Promise.all([...document.querySelectorAll('svg.bespoke-marp-active img')].map((img) => img.decode().catch(() => {})))
        await new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))
      })
      const label = `slide ${n}`
      for (const p of await page.evaluate(measureActiveSlide, { minTextPx: MIN_TEXT_PX, minCodeScale: MIN_CODE_SCALE, minDiagramScale: MIN_DIAGRAM_SCALE })) {
        problems.push(`${label}: ${p}`)
      }
      await page.screenshot({ path: join(shotsDir, `${name}-${String(n).padStart(digits, '0')}.png`), optimizeForSpeed: true })
      const sheet = await page.addStyleTag({ content: CONTENT_ONLY_CSS })
      await page.evaluate(() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done))))
      const content = await page.screenshot({ encoding: 'base64', optimizeForSpeed: true, clip: { x: 0, y: 0, width: SLIDE_WIDTH, height: SLIDE_HEIGHT, scale: 0.5 } })
      await sheet.evaluate((node) => node.remove())
      if (await analysis.evaluate(inkPixels, content) < 20) problems.push(`${label}: blank (nothing but the background)`)
      if (previous !== null && content === previous) problems.push(`${label}: looks exactly like slide ${n - 1}`)
      previous = content
    }
    for (const url of [...new Set(requests)]) problems.push(`the deck asked for ${url.slice(0, 100)} (it must be self-contained)`)
    return { count, problems }
  } finally {
    await page.close()
  }
}

// A path as short as it can be said from the current directory.
function shown(path) {
  const rel = relative(process.cwd(), path)
  return rel && !rel.startsWith('..') ? rel : path
}

async function launchBrowser(chrome) {
  const { default: puppeteer } = await import('puppeteer-core')
  // pipe: the browser talks to us over file descriptors, so it needs no network,
  // not even the loopback interface (which is down in a fresh network namespace).
  return puppeteer.launch({ executablePath: chrome, headless: true, pipe: true, args: CHROMIUM_ARGS })
}

async function main() {
  const opts = parseArgs(process.argv.slice(2))
  const results = []
  let browser = null
  let analysis = null
  if (!opts.staticOnly) {
    try {
      browser = await launchBrowser(opts.chrome)
    } catch (error) {
      console.error(`check-decks: cannot start ${opts.chrome}: ${String(error.message || error).split('\n')[0]}`)
      process.exit(2)
    }
    analysis = await browser.newPage()
    mkdirSync(opts.shots, { recursive: true })
  }
  try {
    for (const deck of opts.decks) {
      const name = basename(deck, '.html')
      const problems = []
      let count = null
      try {
        if (!existsSync(deck)) throw new Error(`${deck} is not rendered yet: run make slides`)
        problems.push(...staticProblems(readFileSync(deck, 'utf8')))
        if (browser) {
          for (const old of readdirSync(opts.shots)) {
            if (new RegExp(`^${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}-\\d+\\.png$`).test(old)) rmSync(join(opts.shots, old))
          }
          const result = await checkDeckInBrowser(browser, analysis, deck, opts.shots)
          count = result.count
          problems.push(...result.problems)
        }
      } catch (error) {
        problems.push(`could not be checked: ${String(error.message || error).split('\n')[0]}`)
      }
      const what = count === null ? (browser ? 'not checked' : 'static check only') : `${count} slides`
      if (problems.length) {
        console.log(`FAIL ${name}: ${what}, ${problems.length} problem${problems.length > 1 ? 's' : ''}`)
        for (const p of problems) console.log(`       ${p}`)
      } else {
        console.log(`ok   ${name}: ${what}${count === null ? '' : `, screenshots in ${shown(opts.shots)}/${name}-*.png`}`)
      }
      results.push(problems.length === 0)
    }
  } finally {
    if (browser) await browser.close()
  }
  const passed = results.filter(Boolean).length
  console.log(`${passed} passed, ${results.length - passed} failed`)
  process.exit(passed === results.length ? 0 : 1)
}

main()
