-- The resource centre: published studies, analyses, statistical notes, common positions and guides.
-- The attached file lives in PostgreSQL (bytea, in its own table so that listings never read it):
-- files are bounded (10 MiB by default), a resource and its file and its outbox event then commit
-- or vanish together, and backups need nothing but pg_dump.
CREATE TABLE resources (
    id uuid PRIMARY KEY,
    kind text NOT NULL CHECK (kind IN ('etude', 'analyse', 'note_statistique', 'position_commune', 'guide')),
    title text NOT NULL CHECK (length(title) BETWEEN 1 AND 300),
    summary text NOT NULL CHECK (length(summary) <= 4000),
    axis smallint NOT NULL CHECK (axis BETWEEN 1 AND 5),
    themes text[] NOT NULL,
    -- Themes folded (lower case, no accents) for the theme filter.
    themes_folded text[] NOT NULL,
    territory_level text NOT NULL
        CHECK (territory_level IN ('region', 'ancienne_region', 'departement', 'epci', 'commune')),
    territory_code text NOT NULL,
    published_on date NOT NULL,
    authors text[] NOT NULL CHECK (cardinality(authors) >= 1),
    signing_partner_ids uuid[] NOT NULL,
    file_name text NOT NULL,
    content_type text NOT NULL,
    size_bytes bigint NOT NULL CHECK (size_bytes > 0),
    -- Title, summary, themes and authors folded, for the text search.
    search_text text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    CHECK (kind <> 'position_commune' OR cardinality(signing_partner_ids) >= 1)
);

CREATE INDEX resources_newest ON resources (published_on DESC, created_at DESC);
CREATE INDEX resources_territory ON resources (territory_level, territory_code);

CREATE TABLE resource_files (
    resource_id uuid PRIMARY KEY REFERENCES resources (id) ON DELETE CASCADE,
    content bytea NOT NULL
);
