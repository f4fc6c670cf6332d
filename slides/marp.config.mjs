// marp.config.mjs - how tools/slides renders the decks with Marp CLI.
//
// The rendered HTML must work from a USB stick in a lab with no network, so:
// - only Marp's built-in `default` theme (gaia and uncover import Google Fonts);
// - no emoji images (Marp would point them at a CDN) and no math (KaTeX fonts
//   come from a CDN, and a `$` in shell text would start a formula);
// - local images (the diagrams in slides/) are embedded as data: URLs, so one
//   HTML file is the whole deck. Only files inside slides/ are embedded; any
//   other image reference is left as it is, and `tools/slides check` reports it.
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

export default {
  lang: 'en',
  allowLocalFiles: false,
  options: {
    emoji: { shortcode: false, unicode: false },
    math: false,
  },
  engine: ({ marp }) => marp.use(embedLocalImages),
}
