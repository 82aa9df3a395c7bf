/** Shown under the message box while the room's join is tried again; taken away once it is joined. */
export const JOIN_RETRY_NOTE = 'Could not join the room just now. Trying again…';
/** Shown while reading the messages missed is tried again; taken away once the room has caught up. */
export const CATCH_UP_RETRY_NOTE = 'Could not load the messages you missed. Trying again…';
