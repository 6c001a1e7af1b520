-- Derived indexes kept between starts (see migrations/postgres/0014_index_images.sql).
CREATE TABLE index_images (
    name TEXT NOT NULL PRIMARY KEY,
    body BLOB NOT NULL
) STRICT;
