-- An officer's free-text note on a decision is for officers only: it may name the person or say
-- more than they should read. Until now a rejection stored the note in `reason`, where every
-- reader of the application (the participant too) found it in place of the reason's code, and a
-- clawback stored its explanation there as well. The note gets its own column, which the API
-- shows only to officers and erasure clears; `reason` holds a rejection's code and nothing else.
ALTER TABLE applications ADD COLUMN officer_note text;

-- A rejection whose `reason` is not one of the codes held the officer's note: the code it was
-- given was lost, so it becomes 'other'. A clawback's explanation is a note; a clawback has no code.
UPDATE applications
   SET officer_note = reason,
       reason = CASE WHEN status = 'rejected' THEN 'other' END
 WHERE reason IS NOT NULL
   AND reason NOT IN ('not_eligible', 'incomplete', 'deadweight', 'course_not_accepted', 'other');
