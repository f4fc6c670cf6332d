// marp.config.mjs - how tools/slides renders the decks with Marp CLI.
//
// The rendered HTML must work from a USB stick in a lab with no network, so:
// - only Marp's built-in `default` theme (gaia and uncover import Google Fonts);
// - no emoji images (Marp would point them at a CDN) and no math (KaTeX fonts
//   come from a CDN, and a `$` in shell text would start a formula);
// - local images (the diagrams in slides/) are embedded as data: URLs, so one
//   HTML file is the whole deck. Only files inside slides/ are embedded; any
//   other image reference is left as it is, and `tools/slides check` reports it;
// - the fonts come with the course (npm packages @fontsource/ibm-plex-sans and
//   ibm-plex-mono, SIL Open Font License) and are embedded in the theme as data:
//   URLs, so a slide is laid out the same on every machine, whatever fonts it has.
import { readFileSync, realpathSync } from 'node:fs'
import { dirname, extname, resolve, sep } from 'node:path'
import { fileURLToPath } from 'node:url'

const slidesDir = realpathSync(dirname(fileURLToPath(import.meta.url)))

const mediaTypes = {
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
}

// The data: URL for a relative image path inside slides/, or null.
function embeddedImage(src) {
  if (/^[a-z][a-z0-9+.-]*:/i.test(src) || src.startsWith('/') || src.startsWith('#')) return null
  const type = mediaTypes[extname(src.split(/[?#]/)[0]).toLowerCase()]
  if (!type) return null
  let file
  try {
    file = realpathSync(resolve(slidesDir, decodeURIComponent(src.split(/[?#]/)[0])))
  } catch {
    return null
  }
  if (!file.startsWith(slidesDir + sep)) return null
  return `data:${type};base64,${readFileSync(file).toString('base64')}`
}

// A markdown-it plugin: rewrite image sources before Marpit reads them, so that
// inline images and ![bg](...) backgrounds both get the embedded copy.
function embedLocalImages(md) {
  md.inline.ruler2.before('marpit_parse_image', 'course_embed_local_images', (state) => {
    for (const token of state.tokens) {
      if (token.type !== 'image') continue
      const data = embeddedImage(token.attrGet('src') || '')
      if (data) token.attrSet('src', data)
    }
  })
}

const fontDir = (name) => resolve(slidesDir, '..', 'node_modules', '@fontsource', name, 'files')

// @font-face rules for the fonts the decks use, each file embedded.
function fontFaces() {
  const faces = [
    ['Course Sans', 'ibm-plex-sans', 400, 'normal'],
    ['Course Sans', 'ibm-plex-sans', 400, 'italic'],
    ['Course Sans', 'ibm-plex-sans', 700, 'normal'],
    ['Course Sans', 'ibm-plex-sans', 700, 'italic'],
    ['Course Mono', 'ibm-plex-mono', 400, 'normal'],
    ['Course Mono', 'ibm-plex-mono', 700, 'normal'],
  ]
  return faces.map(([family, pkg, weight, style]) => {
    const file = resolve(fontDir(pkg), `${pkg}-latin-${weight}-${style}.woff2`)
    const data = readFileSync(file).toString('base64')
    return `@font-face { font-family: '${family}'; font-weight: ${weight}; ` +
      `font-style: ${style}; src: url(data:font/woff2;base64,${data}) format('woff2'); }`
  }).join('\n')
}

// The default theme with the course's fonts: the decks keep `theme: default`.
function withCourseFonts(marp) {
  const base = marp.themeSet.get('default')
  marp.themeSet.add(`/* @theme default */\n${fontFaces()}\n${base.css}\n` +
    `section { font-family: 'Course Sans', sans-serif; }\n` +
    `section code, section pre, section pre code, section kbd, section samp ` +
    `{ font-family: 'Course Mono', monospace; }\n` +
    // 75% of the text (22 px): a program's 88-column lines fit a slide unshrunk.
    `section pre { font-size: 75%; }\n`)
  return marp
}

export default {
  lang: 'en',
  allowLocalFiles: false,
  options: {
    emoji: { shortcode: false, unicode: false },
    math: false,
  },
  engine: ({ marp }) => withCourseFonts(marp.use(embedLocalImages)),
}
