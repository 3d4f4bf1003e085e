// The client's types are generated, never hand-edited: regenerating them from the committed OpenAPI
// document gives the committed file. (The gateway's tests check that document against the code.)
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'

const web = join(__dirname, '..')

describe('generated API types', () => {
  it('match src/api/openapi.json (run `make web-api` after changing the gateway)', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'hgrip-api-')), 'schema.d.ts')
    const cli = join(web, 'node_modules', 'openapi-typescript', 'bin', 'cli.js')
    execFileSync(process.execPath, [cli, 'src/api/openapi.json', '-o', out], { cwd: web, stdio: 'pipe' })
    const committed = readFileSync(join(web, 'src', 'api', 'schema.d.ts'), 'utf8')
    expect(readFileSync(out, 'utf8')).toBe(committed)
  }, 30_000)
})
