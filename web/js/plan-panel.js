// Issue 17: the incident's action plan, its holder and the call list, as one card of the incident
// page. Every button is one request; the answer (the incident as it is now) re-renders the page.
import { ApiError, api } from './api.js';
import { h, toast } from './dom.js';
import { fmtTime, hasString, t } from './i18n.js';
import { personEl, personName, personTitle } from './people.js';
import { jurisdictionName, state } from './state.js';
import { canAct } from './widgets.js';

const CALL_RESULTS = ['reached', 'no_answer', 'busy', 'wrong_number'];

async function send(path, body, onChange, people) {
  try {
    onChange(await api(path, { method: 'POST', body }));
  } catch (err) {
    // The server says why (held by another operator, bad outcome); the operator reads it as is.
    // Another operator took it a moment before (both clicked the new alarm): say who, by name when
    // the incident as the page has it names them.
    if (err instanceof ApiError && err.code === 'owned_by_other')
      toast(
        err.data?.owner ? t('wfOwnedBy', { owner: personName(people, err.data.owner) }) : t('wfOwnedByOther'),
        'error',
      );
    else toast(err.message, 'error');
  }
}

function stepText(step) {
  return step.builtin ? t(`wfStep_${step.kind}`) : step.text;
}

function planSection(inc, onChange) {
  if (!inc.plan) return null;
  const base = `/api/incidents/${encodeURIComponent(inc.id)}`;
  return h(
    'div',
    { class: 'wf-plan', id: 'wf-plan' },
    h('h3', {}, `${t('wfPlan')} · ${named('wfPlanName_', inc.plan.name)}`),
    h(
      'ol',
      { class: 'wf-steps' },
      inc.plan.steps.map((s) =>
        h(
          'li',
          {
            class: `wf-step ${s.outcome ? 'done' : s.required ? 'open required' : 'open'}`,
            dataset: { step: s.id },
          },
          h('b', {}, stepText(s)),
          s.required ? h('span', { class: 'chip' }, t('wfRequired')) : null,
          s.outcome
            ? h(
                'span',
                { class: 'muted wf-outcome' },
                ` ${t(`wfOutcome_${s.outcome}`)} · `,
                s.by ? personEl(inc.people, s.by) : null,
                ` ${s.at ? fmtTime(s.at) : ''}`,
              )
            : !canAct()
              ? null
              : h(
                  'span',
                  { class: 'wf-outcomes' },
                  s.outcomes.map((o) =>
                    h(
                      'button',
                      {
                        class: 'button small',
                        dataset: { outcome: o },
                        onclick: () =>
                          void send(
                            `${base}/steps/${encodeURIComponent(s.id)}`,
                            { outcome: o },
                            onChange,
                            inc.people,
                          ),
                      },
                      t(`wfOutcome_${o}`),
                    ),
                  ),
                ),
        ),
      ),
    ),
  );
}

/** A built-in plan name or contact role in the user's language; a configured one as written. */
function named(prefix, value) {
  return hasString(`${prefix}${value}`) ? t(`${prefix}${value}`) : value;
}

function ownerSection(inc, onChange) {
  const me = state.user?.username;
  const holder = inc.owner?.username;
  const base = `/api/incidents/${encodeURIComponent(inc.id)}`;
  return h(
    'div',
    { class: 'wf-owner', id: 'wf-owner' },
    h(
      'span',
      { title: holder ? personTitle(inc.people, holder) : undefined },
      holder ? t('wfHeldBy', { user: personName(inc.people, holder) }) : t('wfNobodyHolds'),
    ),
    holder !== me && canAct()
      ? h(
          'button',
          {
            class: 'button small',
            id: 'wf-take',
            onclick: () => void send(`${base}/take`, holder ? { takeover: true } : {}, onChange, inc.people),
          },
          holder ? t('wfTakeOver') : t('wfTake'),
        )
      : null,
  );
}

function callSection(inc, onChange) {
  const base = `/api/incidents/${encodeURIComponent(inc.id)}`;
  const calls = inc.calls ?? [];
  // The next contact to call: the first after the last one tried, unless someone was reached.
  const reached = calls.some((c) => c.result === 'reached');
  const next = calls.length === 0 ? 0 : calls[calls.length - 1].contact + 1;
  return h(
    'div',
    { class: 'wf-calls', id: 'wf-calls' },
    h('h3', {}, t('wfCallList')),
    (inc.callList ?? []).length === 0
      ? h('span', { class: 'muted' }, t('noData'))
      : h(
          'ol',
          {},
          inc.callList.map((c) =>
            h(
              'li',
              {
                class: `wf-contact ${!reached && c.index === next ? 'next' : ''}`,
                dataset: { contact: String(c.index) },
              },
              h('b', {}, c.name),
              c.role ? h('span', { class: 'muted' }, ` (${named('wfRole_', c.role)})`) : null,
              ' · ',
              h('a', { href: `tel:${c.phone}` }, c.phone),
              canAct()
                ? h(
                    'span',
                    { class: 'wf-results' },
                    CALL_RESULTS.map((r, i) =>
                      h(
                        'button',
                        {
                          class: 'button small',
                          dataset: { result: r },
                          title: `${i + 1}`,
                          onclick: () =>
                            void send(`${base}/calls`, { contact: c.index, result: r }, onChange, inc.people),
                        },
                        t(`wfOutcome_${r}`),
                      ),
                    ),
                  )
                : null,
              canAct()
                ? h(
                    'button',
                    {
                      class: 'button small wf-notify',
                      dataset: { notify: String(c.index) },
                      onclick: () => void send(`${base}/notify`, { contact: c.index }, onChange, inc.people),
                    },
                    t('wfNotify'),
                  )
                : null,
              h(
                'ul',
                { class: 'muted wf-call-log' },
                calls
                  .filter((x) => x.contact === c.index)
                  .map((x) =>
                    h(
                      'li',
                      {},
                      `${fmtTime(x.at)} ${t(`wfOutcome_${x.result}`)} · `,
                      personEl(inc.people, x.by),
                    ),
                  ),
              ),
              noteLog((inc.notifications ?? []).filter((n) => n.recipient === c.name)),
            ),
          ),
        ),
  );
}

const channelName = (n) => (hasString(`wfChannel_${n.kind}`) ? t(`wfChannel_${n.kind}`) : n.channel);

/** A contact's notifications and how their delivery went (sending, delivered, failed), under it. */
function noteLog(list) {
  if (list.length === 0) return null;
  return h(
    'ul',
    { class: 'wf-note-log' },
    list.map((n) =>
      h(
        'li',
        { class: `wf-note ${n.state}`, dataset: { channel: n.channel, state: n.state } },
        `${fmtTime(n.at)} ${t('wfNotify')} · ${channelName(n)} · `,
        h('b', {}, t(`wfDelivery_${n.state}`)),
        n.attempts > 1 ? h('span', { class: 'muted' }, ` · ${t('wfAttempts', { n: n.attempts })}`) : null,
        n.reason === 'manual' ? h('span', { class: 'muted' }, ` · ${t('wfManual')}`) : null,
      ),
    ),
  );
}

/** Calls down the call list and notifications, as items of the incident's timeline (incident-parts.js). */
export function workflowTimeline(inc) {
  return [
    ...(inc.calls ?? []).map((c) => ({
      at: c.at,
      kind: 'call',
      text: t('wfTimelineCall', { name: c.name, phone: c.phone, result: t(`wfOutcome_${c.result}`) }),
      by: personName(inc.people, c.by),
      user: c.by,
      note: c.note,
    })),
    ...(inc.notifications ?? []).map((n) => ({
      at: n.at,
      kind: 'notify',
      text: t('wfTimelineNotify', {
        name: n.recipient,
        channel: channelName(n),
        state: t(`wfDelivery_${n.state}`),
      }),
    })),
  ];
}

/** The workflow card for the incident page (undefined when the service runs without issue 17). */
export function workflowCard(inc, onChange) {
  if (!inc.plan && !inc.callList) return null;
  // Who may only read (a shop owner, an investigator) is offered nothing to press; a shop owner is
  // not shown the police's own plan, only who handles the alarm and the calls to their contacts.
  const site = state.user?.role === 'site';
  return h(
    'section',
    { class: 'card workflow-card', id: 'workflow-card' },
    ownerSection(inc, onChange, inc.people),
    canAct()
      ? h('a', { class: 'wf-site-link', href: `#/sitedesk/${encodeURIComponent(inc.site)}` }, t('wfSiteDesk'))
      : null,
    inc.confirmation
      ? h('div', { class: 'chip wf-confirmed' }, t('wfConfirmedBy', { rule: inc.confirmation.rule }))
      : null,
    inc.forward
      ? h(
          'div',
          { class: 'chip wf-forwarded' },
          t('wfForwardedTo', { station: jurisdictionName(inc.forward.station) }),
        )
      : null,
    site ? null : planSection(inc, onChange, inc.people),
    callSection(inc, onChange, inc.people),
  );
}
