/**
 * Commander flags made from the option table (`src/core/pipeline/option-table.ts`), for the
 * `facedetail` command and `facedetail enqueue`, and their values read back, checked by the one
 * validation helper (`INVALID_OPTION: --detail-res must be an integer from 512 to 2048, got 4096.`).
 */
import { Option, type Command } from 'commander';
import { checkOption } from '../core/options.js';
import { flagName, parseOptionText, type OptionSpec } from '../core/pipeline/option-table.js';

/** How a default reads in `--help`. */
function helpDefault(value: unknown): string {
  return Array.isArray(value) ? value.join(',') : String(value);
}

/**
 * Add the flags of these table rows to a command. Values stay text until
 * {@link readTableOptions} checks them (commander only parses the syntax), so every bad value
 * gets the same message style; choices are still listed in `--help`.
 *
 * @example
 * addTableOptions(program, optionSpecs('flag'));
 */
export function addTableOptions(command: Command, specs: readonly OptionSpec[]): Command {
  for (const spec of specs) {
    if (spec.flag === undefined) continue;
    const option = new Option(spec.flag, spec.help ?? spec.description);
    if (spec.type === 'choice' && spec.choices) option.choices(spec.choices).argParser((v: string) => v);
    if (spec.default !== undefined && spec.type !== 'boolean') option.default(spec.default, helpDefault(spec.default));
    if (spec.required === true) option.makeOptionMandatory();
    command.addOption(option);
  }
  return command;
}

/**
 * The values of these table rows' flags after parsing, keyed by option name (`detailResolution`,
 * not `detailRes`), checked against the table; unset flags without a default are absent.
 * Throws `INVALID_OPTION` naming the flag.
 *
 * @example
 * const o = readTableOptions(program, optionSpecs('flag')); // { detailResolution: 1024, formats: ['glb'], … }
 */
export function readTableOptions(command: Command, specs: readonly OptionSpec[]): Record<string, unknown> {
  const raw = command.opts();
  const out: Record<string, unknown> = {};
  for (const spec of specs) {
    const option = command.options.find((o) => o.long === flagName(spec));
    if (option === undefined) continue;
    const v = raw[option.attributeName()] as unknown;
    if (v === undefined) continue;
    out[spec.name] = typeof v === 'string' ? parseOptionText(spec, v) : checkOption(spec, v, flagName(spec));
  }
  return out;
}
