import { AppError, uuidSchema } from '@chat/contract';

/** The `:roomId` route parameter; anything but a UUID names no room, so it is a 404. */
export function roomIdOf(ctx: { params: Record<string, string> }): string {
  const parsed = uuidSchema.safeParse(ctx.params.roomId);
  if (!parsed.success) throw AppError.notFound('room not found');
  return parsed.data.toLowerCase();
}
