# syntax=docker/dockerfile:1
# Multi-stage build: compile with the Rust toolchain, run on a slim Debian with libpq only.
FROM rust:1-bookworm AS build
WORKDIR /src
RUN apt-get update && apt-get install -y --no-install-recommends libpq-dev && rm -rf /var/lib/apt/lists/*
COPY Cargo.toml Cargo.lock diesel.toml ./
COPY src ./src
COPY migrations ./migrations
COPY api-spec ./api-spec
COPY tests ./tests
RUN cargo build --release --locked --bin palabre

FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpq5 ca-certificates curl \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home /var/lib/palabre --create-home palabre
COPY --from=build /src/target/release/palabre /usr/local/bin/palabre
USER palabre
WORKDIR /var/lib/palabre
ENV PALABRE_DATA_DIR=/var/lib/palabre \
    PALABRE_BIND=0.0.0.0:8080 \
    PALABRE_LOG_FORMAT=json
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
    CMD curl -fsS http://127.0.0.1:8080/healthz || exit 1
ENTRYPOINT ["palabre"]
CMD ["serve"]
