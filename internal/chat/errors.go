package chat

import (
	"errors"
	"fmt"
)

// Code is an Amity error code. The SDK reads only the code in an error body, so each
// code must keep exactly the meaning CONTRACT.md gives it.
type Code int

const (
	CodeBadRequest       Code = 400000
	CodeUnauthorized     Code = 400100 // the SDK ends the session on it: tokens and keys only
	CodeForbidden        Code = 400300
	CodePermissionDenied Code = 400301
	CodeUserMuted        Code = 400302
	CodeChannelMuted     Code = 400303
	CodeUserBanned       Code = 400304
	CodeBanExempt        Code = 400306
	CodeRateLimited      Code = 400311
	CodeGlobalBanned     Code = 400312
	CodeNotBanned        Code = 400316
	CodeLastModerator    Code = 400317
	CodeNotFound         Code = 400400
	CodeRequestTimeout   Code = 400408 // the body did not arrive in time; Parley's own (docs/decisions.md, "Limits")
	CodeConflict         Code = 400900
	CodeInternal         Code = 500000
)

// Error is a failure the client is told about: a code, a message, and for 400000 the
// list of every field problem.
type Error struct {
	Code    Code
	Message string
	Detail  []string
}

func (e *Error) Error() string { return fmt.Sprintf("%d: %s", e.Code, e.Message) }

// Errorf makes an *Error with a formatted message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// NotFound is the 400400 answer for a missing object of the named kind.
func NotFound(kind string) *Error { return Errorf(CodeNotFound, "%s not found.", kind) }

// ErrPermissionDenied is the generic 400301 answer.
func PermissionDenied() *Error { return Errorf(CodePermissionDenied, "Permission denied.") }

// Unauthorized is the 400100 answer; never use it for anything but credentials.
func Unauthorized(msg string) *Error { return &Error{Code: CodeUnauthorized, Message: msg} }

// AsError finds the *Error in err's chain.
func AsError(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}

// Problems gathers field problems so that one 400000 answer lists all of them.
type Problems struct{ detail []string }

// Add records a problem with a field.
func (p *Problems) Add(field, format string, args ...any) {
	p.detail = append(p.detail, field+" "+fmt.Sprintf(format, args...))
}

// Err is nil when nothing was added, else the 400000 error listing every problem.
func (p *Problems) Err() error {
	if len(p.detail) == 0 {
		return nil
	}
	return &Error{Code: CodeBadRequest, Message: "Invalid parameter: " + p.detail[0] + ".", Detail: p.detail}
}

// ErrChanged ends a write unit whose decision, made from rows read without a lock, no
// longer holds once it has locked them (a concurrent unit changed them in between).
// The store runs such a unit again (docs/development.md, "Storage": writes may rerun);
// on SQLite, whose writer runs units one at a time, it cannot happen.
var ErrChanged = errors.New("chat: a row the write decided from changed; run it again")
