# Multi-stage build: compile in the Rust image, run on a slim Debian with only the shared
# libraries the binary links (libpq, libsqlite3).
FROM rust:1-bookworm AS build
RUN apt-get update && apt-get install -y --no-install-recommends libpq-dev libsqlite3-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Cargo.toml Cargo.lock rustfmt.toml ./
COPY api ./api
COPY migrations ./migrations
COPY tests ./tests
RUN cargo build --release --locked --bin ce-api

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends libpq5 libsqlite3-0 ca-certificates curl \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home /data ce \
    && mkdir -p /data && chown ce /data
COPY --from=build /src/target/release/ce-api /usr/local/bin/ce-api
USER ce
WORKDIR /data
ENV CE_BIND=0.0.0.0:8080
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --retries=5 CMD curl -fsS http://127.0.0.1:8080/readyz || exit 1
ENTRYPOINT ["ce-api"]
CMD ["serve"]
