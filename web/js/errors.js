// Server errors as sentences in the user's language. The server answers `{error: {code, message,
// details?}}`; the English `message` is for logs and support, the person at the desk reads what
// this module makes of `code` and, for a bad_request, of each detail (field, issue, limit).
import { getLang, hasString, t } from './i18n.js';

/**
 * The label of a request field (`body.text` → "备注"); the last named segment decides. A form whose
 * fields mean something else than the common ones (a notice's `to` are its recipients, not an end
 * time) names them in `labels` (`{to: '发送单位'}`).
 */
export function fieldLabel(field, labels = {}) {
  const name = String(field ?? '')
    .split('.')
    .filter((p) => p && !/^\d+$/.test(p))
    .at(-1);
  if (name && Object.hasOwn(labels, name)) return labels[name];
  return name && hasString(`field_${name}`) ? t(`field_${name}`) : t('field_unknown');
}

function capitalise(s) {
  return getLang() === 'en' && s ? s.charAt(0).toUpperCase() + s.slice(1) : s;
}

/** One rejected field as a sentence (`labels`: as for fieldLabel). */
export function detailSentence(d, labels = {}) {
  const field = fieldLabel(d.field, labels);
  const vars = {
    field,
    limit: d.limit,
    values: (d.values ?? []).join(' / '),
    keys: (d.keys ?? []).join(', '),
  };
  let key;
  switch (d.issue) {
    case 'too_big':
    case 'too_small': {
      const origin = ['string', 'number', 'array'].includes(d.origin) ? d.origin : 'number';
      key =
        d.issue === 'too_small' && origin === 'string' && d.limit === 1
          ? 'val_empty_string'
          : `val_${d.issue}_${origin}`;
      break;
    }
    case 'invalid_type':
      key = d.received === 'undefined' || d.received === 'null' ? 'val_missing' : 'val_invalid_type';
      break;
    case 'invalid_format':
      key =
        d.format === 'datetime' || d.format === 'date' ? 'val_invalid_format_datetime' : 'val_invalid_format';
      break;
    case 'invalid_value':
    case 'unrecognized_keys':
      key = `val_${d.issue}`;
      break;
    case 'custom':
      key = d.reason && hasString(`val_${d.reason}`) ? `val_${d.reason}` : 'val_custom';
      break;
    default:
      key = 'val_custom';
  }
  return capitalise(t(key, vars));
}

/** The sentence for an error answer (or a network failure, code `network`); `labels`: as for fieldLabel. */
export function errorSentence({ code, details }, labels = {}) {
  if (code === 'bad_request' && Array.isArray(details) && details.length > 0) {
    // Several problems with one field say the same thing twice; one sentence each.
    const sentences = details.map((d) => detailSentence(d, labels));
    return [...new Set(sentences)].join(getLang() === 'en' ? '; ' : '；');
  }
  if (code && hasString(`err_${code}`)) return t(`err_${code}`);
  return t('err_unknown', { code: code || 'http' });
}
