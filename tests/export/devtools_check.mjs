// devtools_check.mjs: loads a Chrome Trace Event export into Chrome
// DevTools' own trace engine (npm @paulirish/trace_engine, the Performance
// panel's model) and counts what it kept: slices ("X") that made it into a
// thread's tree, instants ("I") likewise, and flows bound at both ends (the
// engine binds a flow event to a slice with the same ts, pid, tid and
// category). Prints "NAME: slices K/N, instants K/N, flows K/N" and exits 1
// on any loss, 2 when it cannot run.
//
// usage: node devtools_check.mjs TRACE_ENGINE_DIR EXPORT.json [NAME]
import fs from 'node:fs';
import path from 'node:path';
import {pathToFileURL} from 'node:url';

const [engineDir, file, label] = process.argv.slice(2);
if (!engineDir || !file) {
  console.error('usage: node devtools_check.mjs TRACE_ENGINE_DIR EXPORT.json [NAME]');
  process.exit(2);
}
const entry = path.join(engineDir, 'models', 'trace', 'trace.js');
if (!fs.existsSync(entry)) {
  console.error(`${entry}: no trace engine; run scripts/deps.sh (as root)`);
  process.exit(2);
}
// The engine's insights code measures layout with DOMRect, absent in Node.
globalThis.DOMRect ??= class DOMRect {
  constructor(x = 0, y = 0, width = 0, height = 0) {
    Object.assign(this, {x, y, width, height, top: y, left: x,
                         right: x + width, bottom: y + height});
  }
};
const Trace = await import(pathToFileURL(entry).href);

const json = JSON.parse(fs.readFileSync(file, 'utf8'));
const events = json.traceEvents ?? json;
// Instants count whichever phase letter they use: DevTools keeps only "I".
const total = {X: 0, I: 0, s: 0};
for (const e of events) {
  const ph = e.ph === 'i' ? 'I' : e.ph;
  if (ph in total)
    total[ph]++;
}

const model = Trace.TraceModel.Model.createWithAllHandlers();
await model.parse(events);
const parsedTrace = model.parsedTrace();
const parsed = parsedTrace.data ?? parsedTrace; // 0.0.65: handlers under .data
const kept = {X: 0, I: 0};
for (const e of parsed.Renderer.entryToNode.keys())
  if (e.ph in kept)
    kept[e.ph]++;
// A flow is bound when the events at both of its ends were found.
const bound = parsed.Flows.flows.filter(f => f.length >= 2).length;

const name = label ?? path.basename(file);
console.log(`${name}: slices ${kept.X}/${total.X}, instants ${kept.I}/${total.I}, ` +
            `flows ${bound}/${total.s}`);
const lost = kept.X !== total.X || kept.I !== total.I || bound !== total.s;
if (total.X === 0) {
  console.error(`${name}: no slices at all: nothing was checked`);
  process.exit(1);
}
process.exit(lost ? 1 : 0);
