import { UnrecoverableError } from 'bullmq';

/** The job's room was deleted: no attempt will ever be able to answer it. */
export class RoomGoneError extends UnrecoverableError {
  constructor(roomId: string) {
    super(`room ${roomId} not found`);
    this.name = 'RoomGoneError';
  }
}
