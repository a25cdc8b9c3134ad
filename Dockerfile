# raftcache-server image: one cluster node per container.
#   docker build -t raftcache .
#   docker run --rm -p 6379:6379 -v raftcache-data:/data raftcache            # a one-node cluster
#   docker-compose up                                                         # three nodes, see docker-compose.yml
# Any raftcache-server option can follow the image name (see `docker run --rm raftcache --help`).

FROM node:20-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# No install scripts: lmdb and msgpackr load their prebuilt binaries; `prepare` would build before the sources are here.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json ./
COPY server ./server
COPY protocol ./protocol
COPY storage ./storage
RUN npx tsc -p . && npm prune --omit=dev --ignore-scripts --no-audit --no-fund

FROM node:20-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY bin ./bin
RUN ln -s /app/bin/raftcache-server.js /usr/local/bin/raftcache-server \
 && mkdir -p /data && chown node:node /data
USER node
VOLUME /data
# 6379: Redis clients; 16379: Raft traffic between nodes (client port + 10000).
EXPOSE 6379 16379
# Node options of every server process (server/node-flags.ts: GC helper threads sized to the container CPUs,
# a smaller young generation, no memory-reducing GC when idle); V8 takes the last one on the command line only.
ENTRYPOINT ["node", "--v8-pool-size=0", "--max-semi-space-size=8", "--no-memory-reducer", "/app/bin/raftcache-server.js"]
# Listen on all interfaces inside the container; keep data in the volume.
# Clients arrive through Docker's network, never from loopback: protected mode
# off, as in the official redis image (publish the port with care, or add --requirepass).
CMD ["--bind", "0.0.0.0", "--protected-mode", "no", "--dir", "/data"]
