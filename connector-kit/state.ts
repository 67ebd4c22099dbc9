/**
 * Input state parsing: the per-stream array form (AirbyteStateMessage[]), a single state message,
 * the legacy object form ({stream: state}) and Singer's `{bookmarks: {stream: state}}` all become one map.
 */
import { configError } from './errors';
import type { AirbyteStateMessage, JsonObject } from './protocol';
import type { StreamStates } from './connector';

const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

export function parseStateInput(input: unknown): StreamStates {
  const states: StreamStates = new Map();
  if (input === null || input === undefined) return states;
  if (Array.isArray(input)) {
    input.forEach((message, i) => addStateMessage(states, message, `state[${i}]`));
    return states;
  }
  if (!isObject(input)) throw configError('The state file must hold a JSON array of state messages or a JSON object.');
  if (input.type === 'STREAM' || input.type === 'GLOBAL' || isObject(input.stream)) {
    addStateMessage(states, input, 'state');
    return states;
  }
  if (input.type === 'LEGACY' && isObject(input.data)) return parseStateInput(input.data);
  const legacy = isObject(input.bookmarks) ? input.bookmarks : input;
  for (const [stream, value] of Object.entries(legacy)) if (isObject(value)) states.set(stream, value);
  return states;
}

function addStateMessage(states: StreamStates, raw: unknown, where: string): void {
  if (!isObject(raw)) throw configError(`${where} is not a state message object.`);
  const message = raw as AirbyteStateMessage;
  if (message.type === 'GLOBAL' && message.global) {
    for (const s of message.global.stream_states ?? []) addStreamState(states, s.stream_descriptor?.name, s.stream_state);
    return;
  }
  if (message.stream) return addStreamState(states, message.stream.stream_descriptor?.name, message.stream.stream_state);
  if (isObject(message.data)) {
    for (const [stream, value] of parseStateInput(message.data)) states.set(stream, value);
    return;
  }
  throw configError(`${where} has neither "stream", "global" nor "data": it is not an Airbyte state message.`);
}

function addStreamState(states: StreamStates, name: string | undefined, value: unknown): void {
  if (!name) return;
  if (isObject(value)) states.set(name, value);
  else states.delete(name); // a null stream_state means "reset this stream"
}
