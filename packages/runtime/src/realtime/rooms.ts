/** The Socket.IO rooms the gateways join sockets to. */

/** Every socket of one user. */
export const userRoom = (userId: string): string => `user:${userId}`;
/** A chat room's joined sockets. */
export const chatRoom = (roomId: string): string => `room:${roomId}`;
