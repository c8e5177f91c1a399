// Runs js/slicing.js on the cases of a JSON file (written by
// tests/test_js_slicing.py) and prints the results as JSON on stdout.
//   node js/tests/run_slicing.mjs cases.json
// A case: {fn, cube: "<raw float32 file>", shape, options}; array results
// come back as base64 of their float32 bytes.
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import * as slicing from "../slicing.js";

const path = process.argv[2];
const cases = JSON.parse(readFileSync(path, "utf8"));

function load(file) {
  const bytes = readFileSync(resolve(dirname(path), file));
  return new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
}

const encode = (data) => Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString("base64");

const results = cases.map(({ fn, cube, shape, options }) => {
  const data = load(cube);
  if (fn === "features2d" || fn === "rnnMatrix") {
    const out = slicing[fn](data, shape, options);
    return { data: encode(out.data), shape: out.shape, boundaries: out.boundaries ?? null };
  }
  if (fn === "maskImage") {
    const { nChannels, ...rest } = options;
    const out = slicing.maskImage(data, shape, nChannels, rest);
    return { data: encode(out.data), shape: out.shape, boundaries: null };
  }
  if (fn === "peakAbs") return slicing.peakAbs(data);
  if (fn === "nanInfCounts") return slicing.nanInfCounts(data);
  throw new Error(`unknown function ${fn}`);
});
process.stdout.write(JSON.stringify(results));
