-- Registries of the vendor's own linked to an app (the proxy reads images from them with these
-- credentials). `host` is normalised (`quay.io`, `127.0.0.1:5001`); `plain_http` only when the
-- vendor wrote `http://`. `credentials` is AES-GCM (kots-template's format) of a JSON object
-- naming the app, host, username and password, under the server's credentials key; never plain.
CREATE TABLE linked_registries (
    app_id TEXT NOT NULL REFERENCES apps (id),
    host TEXT NOT NULL,
    plain_http INTEGER NOT NULL,
    username TEXT,
    credentials TEXT,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (app_id, host)
);
