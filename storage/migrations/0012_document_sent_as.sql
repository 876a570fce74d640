-- How Telegram holds each file a customer or staff member sent: 'photo' (a picture sent as
-- a photo) or 'document' (any file, a JPEG sent as a file too). Telegram re-sends a file
-- id only with the method of its type (sendPhoto or sendDocument; the other answers "type
-- of file mismatch"), so the card's "view documents" needs to know which.
ALTER TABLE draft_documents ADD COLUMN sent_as TEXT NOT NULL DEFAULT 'document'
    CHECK (sent_as IN ('document', 'photo'));
ALTER TABLE documents ADD COLUMN sent_as TEXT NOT NULL DEFAULT 'document'
    CHECK (sent_as IN ('document', 'photo'));

-- Rows written before: a photo was stored under the name the bot gave it, 'photo.jpg'.
UPDATE draft_documents SET sent_as = 'photo'
    WHERE file_name = 'photo.jpg' AND mime_type = 'image/jpeg';
UPDATE documents SET sent_as = 'photo'
    WHERE file_name = 'photo.jpg' AND mime_type = 'image/jpeg';
