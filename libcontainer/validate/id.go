package validate

import "errors"

// ErrInvalidID is the error ID returns, with runc's wording.
var ErrInvalidID = errors.New("invalid container ID format")

// ID checks a container ID the way runc does: it must not be empty, may
// hold only the characters [A-Za-z0-9_+.-], and must not be "." or ".."
// (the only IDs of those characters that are not a single clean path
// component; "/" is never allowed). The error is ErrInvalidID.
func ID(id string) error {
	if id == "" || id == "." || id == ".." {
		return ErrInvalidID
	}
	for i := 0; i < len(id); i++ {
		switch c := id[i]; {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case c == '_', c == '+', c == '-', c == '.':
		default:
			return ErrInvalidID
		}
	}
	return nil
}
