import type { ReactionEvent, ReactionSummary } from '@chat/contract';

/** The emoji the picker offers; any other one arrives from other clients and shows as a chip all the same. */
export const PICKER_EMOJI = ['👍', '❤️', '😂', '🎉', '😮', '😢'] as const;

/**
 * A message's reactions after one emoji's count changed: in order of first use, gone at 0.
 * `reacted` says whether this user is among them now; undefined (someone else's change) keeps it.
 */
export function withReaction(list: readonly ReactionSummary[], emoji: string, count: number, reacted?: boolean): ReactionSummary[] {
  const known = list.find((r) => r.emoji === emoji);
  const next: ReactionSummary = { emoji, count, reacted: reacted ?? known?.reacted ?? false };
  if (count <= 0) return list.filter((r) => r.emoji !== emoji);
  return known ? list.map((r) => (r.emoji === emoji ? next : r)) : [...list, next];
}

/** A `reaction` event applied to a message's reactions, as `myUserId` sees them. */
export const applyReactionEvent = (list: readonly ReactionSummary[], event: ReactionEvent, myUserId: string): ReactionSummary[] =>
  withReaction(list, event.emoji, event.count, event.user.id === myUserId ? event.on : undefined);
