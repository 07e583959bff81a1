/**
 * The console page: login (the admin key is posted once, the server answers with an HttpOnly session cookie), the
 * live calls board over Server-Sent Events, a call's detail (live from the board, finished from its record), recent
 * calls from the records with filters, and the softphone.
 */
import './style.css';
import { LiveState } from './live-state.js';
import { Softphone } from './softphone.js';
import type { AgentSwitch, CallListItem, CallRecord, LiveCall, StreamMessage, Turn } from './types.js';

const $ = <T extends HTMLElement>(selector: string): T => {
  const found = document.querySelector<T>(selector);
  if (!found) throw new Error(`missing ${selector}`);
  return found;
};

function escape(text: unknown): string {
  return String(text ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function seconds(ms: number | null | undefined): string {
  return ms === null || ms === undefined ? '–' : `${(ms / 1000).toFixed(1)} s`;
}

const live = new LiveState();
let selected: string | undefined;
let selectedRecord: CallRecord | undefined;
let events: EventSource | undefined;

async function api<T>(path: string, init?: RequestInit): Promise<T> {
  const response = await fetch(`/console/api/${path}`, { credentials: 'same-origin', ...init });
  if (response.status === 401) {
    showLogin();
    throw new Error('not logged in');
  }
  if (!response.ok) throw new Error(`${path}: ${response.status}`);
  return (response.status === 204 ? undefined : await response.json()) as T;
}

function showLogin(): void {
  events?.close();
  $('#login').hidden = false;
  $('#app').hidden = true;
  $('#logout').hidden = true;
}

async function showApp(softphone: boolean): Promise<void> {
  $('#login').hidden = true;
  $('#app').hidden = false;
  $('#logout').hidden = false;
  $('#softphone-panel').hidden = !softphone;
  events?.close();
  events = new EventSource('/console/api/live');
  events.onmessage = (message) => {
    live.apply(JSON.parse(message.data as string) as StreamMessage);
    renderLive();
    if (selected !== undefined) void renderDetail();
  };
  events.onopen = () => ($('#status').textContent = 'live');
  events.onerror = () => ($('#status').textContent = 'reconnecting…');
  await loadRecent();
}

function renderLive(): void {
  const rows = [...live.calls.values()].map((call) => {
    const latency = call.latenciesMs.length > 0 ? `${call.latenciesMs[call.latenciesMs.length - 1]} ms (avg ${Math.round(call.latenciesMs.reduce((a, b) => a + b, 0) / call.latenciesMs.length)} ms)` : '–';
    return `<tr data-sid="${escape(call.callSid)}"><td>${escape(call.callSid.slice(0, 12))}…</td><td>${escape(call.from ?? '')}</td><td class="agent">${escape(call.agent)}</td><td>${seconds(Date.now() - call.startedAtMs)}</td><td>${latency}</td></tr>`;
  });
  $('#live-calls tbody').innerHTML = rows.join('');
  $('#live-count').textContent = String(live.calls.size);
}

function turnItem(turn: Turn): string {
  const who = turn.speaker === 'caller' ? 'Caller' : `Bot (${escape(turn.agent ?? '')})`;
  let text = escape(turn.text ?? (turn.speaker === 'caller' ? '(speech)' : '…'));
  if (turn.speaker === 'bot' && turn.interrupted) text = `${text} <em class="cut">[cut after ${seconds(turn.heardMs ?? 0)} heard]</em>`;
  const latency = turn.latencyMs === undefined || turn.latencyMs === null ? '' : ` <small>${turn.latencyMs} ms</small>`;
  return `<li class="${turn.speaker}" data-item="${escape(turn.itemId)}"><b>${who}:</b> ${text}${latency}</li>`;
}

function switchItem(s: AgentSwitch): string {
  const confidence = s.confidence === null || s.confidence === undefined ? '' : ` ${(s.confidence * 100).toFixed(0)}%`;
  return `<li class="switch">${seconds(s.atMs)}: ${escape(s.from)} → <b>${escape(s.to)}</b> (intent ${escape(s.intent ?? '?')}${confidence})</li>`;
}

async function renderDetail(): Promise<void> {
  if (selected === undefined) return;
  const call: LiveCall | undefined = live.calls.get(selected);
  $('#detail').hidden = false;
  $('#detail-sid').textContent = selected;
  if (call) {
    $('#detail-state').textContent = '(live)';
    $('#transcript').innerHTML = call.turns.map(turnItem).join('');
    $('#agents').innerHTML = [`<li>now: <b>${escape(call.agent)}</b></li>`, ...call.agentSwitches.map(switchItem)].join('');
    $('#latencies').innerHTML = [
      `<li>greeting first audio: ${call.firstAudioMs ?? '–'} ms</li>`,
      ...call.latenciesMs.map((ms, i) => `<li>turn ${i + 1}: ${ms} ms</li>`),
    ].join('');
    $('#events').innerHTML = [
      ...call.bargeIns.map((b) => `<li>barge-in at ${seconds(b.atMs)}${b.heardMs === undefined ? '' : `, ${b.heardMs} ms heard`}${b.cancelledResponse ? ', reply cancelled' : ''}</li>`),
      ...call.dtmf.map((d) => `<li>key ${escape(d.digit ?? '•')} at ${seconds(d.atMs)}</li>`),
      ...call.errors.map((e) => `<li class="error">${escape(e.message)}</li>`),
    ].join('');
    $('#usage').textContent = `${call.usage.responses} responses, ${call.usage.inputTokens} input / ${call.usage.outputTokens} output tokens`;
    return;
  }
  if (selectedRecord?.callSid !== selected) {
    const answer = await api<{ record: CallRecord | null }>(`calls/${encodeURIComponent(selected)}`);
    if (!answer.record) return;
    selectedRecord = answer.record;
  }
  const record = selectedRecord;
  $('#detail-state').textContent = `(ended: ${record.endReason ?? 'unknown'}, ${seconds(record.durationMs)})`;
  $('#transcript').innerHTML = record.turns.map(turnItem).join('');
  $('#agents').innerHTML = record.agentSwitches.map(switchItem).join('') || '<li>no agent change</li>';
  $('#latencies').innerHTML = [
    `<li>greeting first audio: ${record.firstAudioMs ?? '–'} ms</li>`,
    ...record.turns.filter((t) => t.latencyMs !== undefined && t.latencyMs !== null).map((t, i) => `<li>turn ${i + 1}: ${t.latencyMs} ms</li>`),
  ].join('');
  $('#events').innerHTML = [
    ...record.bargeIns.map((b) => `<li>barge-in at ${seconds(b.atMs)}${b.heardMs === null ? '' : `, ${b.heardMs} ms heard`}</li>`),
    ...record.dtmf.map((d) => `<li>key ${escape(d.digit ?? '•')} at ${seconds(d.atMs)}</li>`),
    ...record.actions.map((a) => `<li>action ${escape(JSON.stringify(a))}</li>`),
  ].join('');
  const tokens = Object.values(record.usage.tokens).reduce((a, b) => a + b, 0);
  $('#usage').textContent = `${record.usage.responses} responses, ${tokens} tokens, ${record.usage.estimatedCostUsd === null ? 'no price' : `$${record.usage.estimatedCostUsd.toFixed(4)}`}`;
}

async function loadRecent(): Promise<void> {
  const params = new URLSearchParams({ limit: '50' });
  const agent = $<HTMLInputElement>('#filter-agent').value.trim();
  const reason = $<HTMLInputElement>('#filter-reason').value.trim();
  if (agent) params.set('agent', agent);
  if (reason) params.set('endReason', reason);
  const { calls } = await api<{ calls: CallListItem[] }>(`calls?${params}`);
  $('#recent-calls tbody').innerHTML = calls
    .map(
      (c) =>
        `<tr data-sid="${escape(c.callSid)}"><td>${escape(new Date(c.startedAt).toLocaleTimeString())}</td><td>${escape(c.callSid.slice(0, 12))}…</td><td>${escape(c.from ?? '')}</td><td>${escape(c.agents.join(' → '))}</td><td>${seconds(c.durationMs)}</td><td>${escape(c.endReason ?? 'live')}</td><td>${c.estimatedCostUsd === null ? '–' : `$${c.estimatedCostUsd.toFixed(4)}`}</td></tr>`,
    )
    .join('');
}

function select(event: Event): void {
  const row = (event.target as HTMLElement).closest('tr[data-sid]');
  if (!row) return;
  selected = row.getAttribute('data-sid') ?? undefined;
  selectedRecord = undefined;
  void renderDetail();
}

function setUpSoftphone(): void {
  let phone: Softphone | undefined;
  const state = (text: string): void => {
    $('#softphone-state').textContent = text;
    const inCall = text === 'in call' || text === 'connecting' || text === 'getting a token';
    $<HTMLButtonElement>('#call-bot').disabled = inCall;
    $<HTMLButtonElement>('#hang-up').disabled = !inCall;
  };
  $('#call-bot').addEventListener('click', () => {
    phone = new Softphone(state);
    (window as unknown as { softphoneStats: unknown }).softphoneStats = phone.stats;
    phone.start().then(
      () => {
        if (phone?.stats.callSid) {
          selected = phone.stats.callSid;
          void renderDetail();
        }
      },
      (error: unknown) => state(`failed: ${error instanceof Error ? error.message : String(error)}`),
    );
  });
  $('#hang-up').addEventListener('click', () => phone?.hangUp());
  $('#keypad').innerHTML = ['1', '2', '3', '4', '5', '6', '7', '8', '9', '*', '0', '#'].map((d) => `<button type="button" data-digit="${d}">${d}</button>`).join('');
  $('#keypad').addEventListener('click', (event) => {
    const digit = (event.target as HTMLElement).getAttribute('data-digit');
    if (digit) phone?.pressKey(digit);
  });
}

$('#login').addEventListener('submit', (event) => {
  event.preventDefault();
  const key = $<HTMLInputElement>('#key').value;
  fetch('/console/api/login', { method: 'POST', credentials: 'same-origin', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ key }) })
    .then(async (response) => {
      if (!response.ok) {
        $('#login-error').textContent = response.status === 401 ? 'Wrong key.' : `Login failed (${response.status}).`;
        return;
      }
      $<HTMLInputElement>('#key').value = '';
      await boot();
    })
    .catch((error: unknown) => ($('#login-error').textContent = String(error)));
});
$('#logout').addEventListener('click', () => void api('logout', { method: 'POST' }).then(showLogin));
$('#live-calls').addEventListener('click', select);
$('#recent-calls').addEventListener('click', select);
$('#filters').addEventListener('submit', (event) => {
  event.preventDefault();
  void loadRecent();
});
setInterval(renderLive, 1000);
setUpSoftphone();

async function boot(): Promise<void> {
  const session = (await (await fetch('/console/api/session', { credentials: 'same-origin' })).json()) as { loggedIn: boolean; softphone: boolean };
  if (session.loggedIn) await showApp(session.softphone);
  else showLogin();
}
void boot();
