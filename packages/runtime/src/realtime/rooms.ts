/**
 * The Socket.IO rooms the services address. The gateways join sockets to them;
 * the API and the bot workers reach them through the Redis emitter.
 */

/** Every socket authenticated with one token (a logout disconnects them). */
export const tokenRoom = (tokenId: string): string => `token:${tokenId}`;
/** Every socket of one user. */
export const userRoom = (userId: string): string => `user:${userId}`;
/** A chat room's joined sockets. */
export const chatRoom = (roomId: string): string => `room:${roomId}`;
