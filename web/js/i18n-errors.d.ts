// Types of i18n-errors.js for the Node test that checks every server error code has a sentence.
export const ERROR_STRINGS: Record<'zh-CN' | 'en', Record<string, string>>;
