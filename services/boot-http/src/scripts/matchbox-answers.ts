import type { TemplateRecord } from '@metalbus/events';
import {
  collectVariables,
  compileTemplate,
  renderMetadata,
  renderTemplate,
  selectGroup,
  type CompiledTemplate,
  type ParsedLabels,
  type TemplateResult,
} from '@metalbus/matchbox';
import { describeLabels } from './facts.js';
import type { ScriptState } from './state.js';

// /metadata and /generic with Matchbox semantics (matchbox/http/metadata.go, generic.go): select the group from
// the labels; 404 when no group, profile or template matches or when the template fails, with the reason in the
// body (Matchbox answers a bare 404 and logs the reason).

export type MatchboxAnswer = { status: number; body: string; groupId: string | null; profileId: string | null };

/** Compiled templates per record object: a KV update brings a new object, so the cache never goes stale. */
export type TemplateCache = WeakMap<TemplateRecord, TemplateResult<CompiledTemplate>>;

export function metadataAnswer(request: ParsedLabels, state: ScriptState): MatchboxAnswer {
  const group = selectGroup(state.groups.current(), request.labels);
  if (group === null) return notFound(`no group matched; labels: ${describeLabels(request.labels)}`, null, null);
  return { status: 200, body: renderMetadata(collectVariables(group, request)), groupId: group.id, profileId: null };
}

export function genericAnswer(request: ParsedLabels, state: ScriptState, cache: TemplateCache): MatchboxAnswer {
  const group = selectGroup(state.groups.current(), request.labels);
  if (group === null) return notFound(`no group matched; labels: ${describeLabels(request.labels)}`, null, null);
  const profile = state.profiles.get(group.profile);
  if (profile === undefined)
    return notFound(
      `group "${group.id}" selects profile "${group.profile}", which does not exist`,
      group.id,
      group.profile,
    );
  const name = profile.generic_id ?? '';
  if (name === '') return notFound(`profile "${profile.id}" has no generic_id`, group.id, profile.id);
  const record = state.templates.get(name);
  if (record === undefined) return notFound(`no generic template "${name}"`, group.id, profile.id);
  let compiled = cache.get(record);
  if (compiled === undefined) {
    compiled = compileTemplate(record.body);
    cache.set(record, compiled);
  }
  if (!compiled.ok) return notFound(`generic template "${name}": ${compiled.error.message}`, group.id, profile.id);
  const rendered = renderTemplate(compiled.value, collectVariables(group, request));
  if (!rendered.ok) return notFound(`generic template "${name}": ${rendered.error.message}`, group.id, profile.id);
  return { status: 200, body: rendered.value, groupId: group.id, profileId: profile.id };
}

function notFound(reason: string, groupId: string | null, profileId: string | null): MatchboxAnswer {
  return { status: 404, body: `${reason}\n`, groupId, profileId };
}
