// How an alarm is closed (警情处置结果): the codes of src/core/close-outcomes.ts, in its order (the
// close dialog's number keys). Pure data, so a test holds it to the server's list; the words are
// `outcome_<code>` in i18n.js.
export const CLOSE_OUTCOMES = {
  resolved: ['real_handled', 'real_transferred', 'no_trace', 'test', 'other'],
  false_alarm: ['user_error', 'device_fault', 'environment', 'works', 'unknown'],
};

/** Codes the operator must explain in the note. */
export const NEEDS_NOTE = ['other'];
