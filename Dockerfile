# Builds runc in a container (Debian's Go toolchain image, libseccomp and
# musl from Debian), statically linked, and leaves only the binary in the
# final image:
#   docker build -t runc-build .
#   docker run --rm -v "$PWD:/out" runc-build cp /runc /out/
# or, with BuildKit, straight to a directory:
#   docker build --output type=local,dest=out .
# Build arguments: GO_VERSION, BUILDTAGS (seccomp on by default; without it
# no libseccomp is needed), COMMIT (the .git directory is not sent to the
# builder).
ARG GO_VERSION=1.26
FROM golang:${GO_VERSION}-bookworm AS build
RUN apt-get update \
	&& apt-get install -y --no-install-recommends libseccomp-dev pkg-config musl-tools make \
	&& rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG BUILDTAGS="seccomp urfave_cli_no_docs"
ARG COMMIT=""
RUN make static BUILDTAGS="$BUILDTAGS" COMMIT="$COMMIT" && ./runc --version

FROM scratch
COPY --from=build /src/runc /runc
CMD ["/runc", "--version"]
