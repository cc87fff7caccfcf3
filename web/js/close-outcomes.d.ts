// Types of close-outcomes.js for the Node test that holds it to src/core/close-outcomes.ts.
export declare const CLOSE_OUTCOMES: { resolved: string[]; false_alarm: string[] };
export declare const NEEDS_NOTE: string[];
