// speedscope_check.mjs: imports a Chrome Trace Event export into speedscope
// (npm speedscope, its release build) in headless Chromium and fails on any
// warning it logs while importing ("Tried to end X when Y was on the top of
// the stack", "Frame ... was still open at end of profile": slices it could
// not nest). The page and the export are served from 127.0.0.1 on a free
// port; Chromium's console goes to its stderr (--enable-logging=stderr).
// Prints "NAME: speedscope imported, N warnings"; exit 1 on a warning or if
// the import did not run, 2 when it cannot run.
//
// usage: node speedscope_check.mjs SPEEDSCOPE_DIR CHROMIUM EXPORT.json [NAME]
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import {spawn} from 'node:child_process';

const [ssDir, chromium, file, label] = process.argv.slice(2);
const release = path.join(ssDir ?? '', 'dist', 'release');
if (!ssDir || !chromium || !file) {
  console.error('usage: node speedscope_check.mjs SPEEDSCOPE_DIR CHROMIUM EXPORT.json [NAME]');
  process.exit(2);
}
if (!fs.existsSync(path.join(release, 'index.html'))) {
  console.error(`${release}: no speedscope; run scripts/deps.sh (as root)`);
  process.exit(2);
}
const name = label ?? path.basename(file);

const server = http.createServer((req, res) => {
  const url = decodeURIComponent(req.url.split('?')[0].split('#')[0]);
  const p = url === '/profile.json' ? file : path.join(release, path.normalize(url));
  fs.readFile(p, (err, data) => {
    if (err) {
      res.writeHead(404);
      res.end();
      return;
    }
    const type = p.endsWith('.html') ? 'text/html' : p.endsWith('.js') ? 'text/javascript'
               : p.endsWith('.css') ? 'text/css' : 'application/octet-stream';
    res.writeHead(200, {'Content-Type': type});
    res.end(data);
  });
});
await new Promise(r => server.listen(0, '127.0.0.1', r));
const base = `http://127.0.0.1:${server.address().port}`;
const page = `${base}/index.html#profileURL=${base}/profile.json&title=${name}`;

const args = ['--headless', '--no-sandbox', '--disable-gpu', '--enable-logging=stderr',
              '--v=0', '--no-first-run', '--virtual-time-budget=20000',
              `--user-data-dir=${fs.mkdtempSync('/tmp/coscope-chromium-')}`, '--dump-dom', page];
const child = spawn(chromium, args, {stdio: ['ignore', 'pipe', 'pipe']});
let err = '', dom = '';
child.stdout.on('data', d => { dom += d; });
child.stderr.on('data', d => { err += d; });
const code = await new Promise(r => child.on('close', r));
server.close();
fs.rmSync(args.find(a => a.startsWith('--user-data-dir=')).slice(16),
          {recursive: true, force: true});

// The console lines speedscope's own script logged.
const lines = err.split('\n').filter(l => /CONSOLE/.test(l) && /speedscope-[^/]*\.js/.test(l))
                 .map(l => l.replace(/.*CONSOLE:\d+\] /, ''));
const imported = lines.some(l => l.includes('Importing as Trace Event Format profile'));
const benign = /^"(speedscope v[\d.]+|import: [\d.]+ ms|Importing as Trace Event Format profile|WebGL initialized\.)/;
const warnings = lines.filter(l => !benign.test(l));
for (const w of warnings.slice(0, 10))
  console.error(`  ${w}`);
console.log(`${name}: speedscope ${imported ? 'imported' : 'did NOT import'}, ` +
            `${warnings.length} warnings`);
if (code !== 0)
  console.error(`chromium exited ${code}`);
process.exit(imported && warnings.length === 0 && code === 0 ? 0 : 1);
