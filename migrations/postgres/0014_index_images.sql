-- Indexes derived from the layers, kept between starts so that a start need
-- not build them again: today the grid locator's cells ("grid-locator",
-- engine/src/locator/image.rs). Each image carries a digest of what it was
-- built from and is used only while that still matches, so a stale one is
-- harmless and losing one costs a slower start, nothing else.
CREATE TABLE index_images (
    name TEXT NOT NULL PRIMARY KEY,
    body BYTEA NOT NULL
);
