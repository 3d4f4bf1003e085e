/// <reference types="vitest/config" />
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { defineConfig, type Plugin } from 'vite'
import vue from '@vitejs/plugin-vue'
import Components from 'unplugin-vue-components/vite'
import { ElementPlusResolver } from 'unplugin-vue-components/resolvers'

// The gateway the dev server proxies /api to (make web-dev); the same variable `hgrip serve gateway` binds.
const gateway = process.env.HGRIP_GATEWAY_ADDRESS || '127.0.0.1:8000'

/** Writes a .gz beside every text file of the build; the gateway sends it to browsers that accept
 * gzip, so the pages travel compressed without compressing on every request. */
function precompress(): Plugin {
  let outDir = 'dist'
  return {
    name: 'hgrip-precompress',
    apply: 'build',
    configResolved(config) {
      outDir = config.build.outDir
    },
    writeBundle(_options, bundle) {
      for (const name of new Set([...Object.keys(bundle), 'index.html'])) {
        if (!/\.(js|css|html|svg|json)$/.test(name)) continue
        const path = join(outDir, name)
        writeFileSync(`${path}.gz`, gzipSync(readFileSync(path), { level: 9 }))
      }
    },
  }
}

export default defineConfig({
  plugins: [
    vue(),
    // Element Plus components (and their CSS) are imported where a template uses them, never the
    // whole library: the login page must stay small.
    Components({ resolvers: [ElementPlusResolver({ importStyle: 'css' })], dts: 'src/components.d.ts' }),
    precompress(),
  ],
  server: {
    host: '127.0.0.1',
    port: 5173,
    proxy: { '/api': { target: `http://${gateway}`, changeOrigin: false } },
  },
  build: {
    target: 'es2020',
    // No inline scripts or styles in index.html: the gateway's CSP allows 'self' only.
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    chunkSizeWarningLimit: 400,
  },
  test: {
    environment: 'happy-dom',
    include: ['tests/**/*.spec.ts'],
    // Element Plus's components import their CSS; let Vite (not Node) load them in tests.
    server: { deps: { inline: ['element-plus'] } },
  },
})
