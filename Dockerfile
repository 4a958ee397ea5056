# The PartnerGraph image used by docker-compose.yml (app and jobs).
FROM python:3.12-slim
RUN apt-get update && apt-get install -y --no-install-recommends gcc make && rm -rf /var/lib/apt/lists/*
WORKDIR /opt/partnergraph
COPY pyproject.toml README.md ./
COPY graph graph
COPY crawlers crawlers
COPY embeddings embeddings
COPY gnn gnn
COPY app app
COPY cypher cypher
RUN pip install --no-cache-dir '.[all]'
ENV PARTNERGRAPH_HOME=/data
EXPOSE 8050
CMD ["partnergraph", "app"]
