// Runs js/colour.js and js/ticks.js on the cases of a JSON file (written by tests/test_colour.py)
// and prints the results as JSON:  node js/tests/run_colour.mjs cases.json
// A case: {fn: "palette", lo, hi, ends} | {fn: "barTicks", lo, hi, bar}
//       | {fn: "string", value} (JavaScript's String(value))
//       | {fn: "valueTicks", lo, hi, maxTicks}: [values, labels, {String(value): label}].
import { readFileSync } from "node:fs";
import * as colour from "../colour.js";
import * as ticks from "../ticks.js";

const cases = JSON.parse(readFileSync(process.argv[2], "utf8"));
const results = cases.map((c) => {
  if (c.fn === "palette") return colour.palette(c.lo, c.hi, c.ends);
  if (c.fn === "barTicks") return ticks.barTicks(c.lo, c.hi, c.bar);
  if (c.fn === "string") return String(c.value);
  if (c.fn === "valueTicks") {
    const { values, labels } = ticks.valueTicks(c.lo, c.hi, c.maxTicks);
    return [values, labels, Object.fromEntries(values.map((v, k) => [String(v), labels[k]]))];
  }
  throw new Error(`unknown function ${c.fn}`);
});
process.stdout.write(JSON.stringify(results));
