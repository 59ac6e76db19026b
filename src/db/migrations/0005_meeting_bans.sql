-- dotm schema 5.
-- Who a moderator removed from a meeting: BigBlueButton does not let an ejected user back into the
-- same meeting, and a portal's fresh join call for that userID must not undo the removal. Kept in
-- the database, not in a controller's memory, so it holds whichever controller the join reaches.
CREATE TABLE meeting_bans (
  meeting_id TEXT NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,
  user_id TEXT NOT NULL, -- the portal's userID
  banned_at BIGINT NOT NULL,
  PRIMARY KEY (meeting_id, user_id)
);

-- One open attendance session per participant and meeting. A room's join can be recorded twice when
-- its home moves between controllers (the old home's pending record and the new home's check of who
-- is in the room); the index decides which one counts, the other inserts nothing.
CREATE UNIQUE INDEX attendance_one_open_session ON attendance (meeting_id, participant_id)
  WHERE left_at IS NULL;
