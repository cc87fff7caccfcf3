import { parseArgs } from 'node:util';

/**
 * The options of the benches on a district's users (bench/people-refresh.ts, bench/user-search.ts):
 * `--owners` home owners with accounts, `--staff` desks, `--rounds` reads a side.
 */
export function districtUserArgs(): { owners: number; staff: number; rounds: number } {
  const { values } = parseArgs({
    options: {
      owners: { type: 'string', default: '4000' },
      staff: { type: 'string', default: '120' },
      rounds: { type: 'string', default: '300' },
    },
  });
  return { owners: Number(values.owners), staff: Number(values.staff), rounds: Number(values.rounds) };
}
