package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"

	"github.com/parley-chat/parley/internal/chat"
)

// errorBody is the one error shape of the API. The SDK reads only `code`.
type errorBody struct {
	Status  string `json:"status"`
	Code    int    `json:"code"`
	Message string `json:"message"`
	Data    struct {
		Detail []string `json:"detail"`
	} `json:"data"`
}

// httpStatus pairs each Amity code with its HTTP status (CONTRACT.md, Errors).
func httpStatus(code chat.Code) int {
	switch {
	case code == chat.CodeRateLimited:
		return http.StatusTooManyRequests
	case code == chat.CodeUnauthorized:
		return http.StatusUnauthorized
	case code >= 400300 && code < 400400:
		return http.StatusForbidden
	case code == chat.CodeNotFound:
		return http.StatusNotFound
	case code == chat.CodeRequestTimeout:
		return http.StatusRequestTimeout
	case code == chat.CodeConflict:
		return http.StatusConflict
	case code >= 400000 && code < 500000:
		return http.StatusBadRequest
	default:
		return http.StatusInternalServerError
	}
}

// writeError answers err in the error shape. Anything that is not a *chat.Error is a bug
// or an outage: it is logged with the request id and answered 500000 without details.
func (a *API) writeError(w http.ResponseWriter, r *http.Request, err error) {
	e, ok := chat.AsError(err)
	if !ok {
		a.log.Error("request failed", "requestId", w.Header().Get("X-Request-Id"), "method", r.Method, "path", r.URL.Path, "error", err)
		e = &chat.Error{Code: chat.CodeInternal, Message: "Internal error. Request id: " + w.Header().Get("X-Request-Id")}
	}
	if rec := recorderOf(w); rec != nil {
		rec.code = e.Code // for the access log
	}
	var body errorBody
	body.Status, body.Code, body.Message = "error", int(e.Code), e.Message
	body.Data.Detail = e.Detail
	if body.Data.Detail == nil {
		body.Data.Detail = []string{}
	}
	a.writeJSON(w, httpStatus(e.Code), body)
}

// reply answers v with 200, or err.
func (a *API) reply(w http.ResponseWriter, r *http.Request, v any, err error) {
	if err != nil {
		a.writeError(w, r, err)
		return
	}
	a.writeJSON(w, http.StatusOK, v)
}

// success is the conventional answer of calls that return no object.
type success struct {
	Success bool `json:"success"`
}

// jsonAppender is a value that writes its own JSON, byte for byte what json.Marshal
// would write (chat.ChannelPayload: the answer of the busiest calls).
type jsonAppender interface {
	AppendJSON(b []byte) ([]byte, error)
}

// answerBuffers recycles the buffers answers are encoded into; w.Write is done with the
// bytes when it returns. Buffers grown past maxRecycledAnswer go to the collector.
var answerBuffers = sync.Pool{New: func() any { b := make([]byte, 0, 32<<10); return &b }}

const maxRecycledAnswer = 1 << 20

func (a *API) writeJSON(w http.ResponseWriter, status int, v any) {
	var b []byte
	var err error
	if p, ok := v.(interface{ Encoded() []byte }); ok && p.Encoded() != nil {
		b = p.Encoded() // encoded once already, for the event that carries it too
	} else if p, ok := v.(jsonAppender); ok {
		// json.Marshal's bytes without its reflection and second pass, into a recycled
		// buffer: a members page is 25 kB, and its buffer was a sixth of its allocation.
		buf := answerBuffers.Get().(*[]byte)
		b, err = p.AppendJSON((*buf)[:0])
		defer func() {
			if cap(b) <= maxRecycledAnswer {
				*buf = b[:0]
				answerBuffers.Put(buf)
			}
		}()
	} else {
		b, err = json.Marshal(v)
	}
	if err != nil {
		a.log.Error("encode response", "error", err)
		status, b = http.StatusInternalServerError, []byte(`{"status":"error","code":500000,"message":"Internal error.","data":{"detail":[]}}`)
	}
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	// The length up front: net/http otherwise answers a body over 2 kB (a members page is
	// 25 kB) in chunks, copied through its buffer, rather than in one write.
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	w.Write(b)
}

// badRequest is a 400000 with one detail.
func badRequest(format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	return &chat.Error{Code: chat.CodeBadRequest, Message: msg, Detail: []string{msg}}
}

// decode reads a JSON object body into v. Every way a body can be wrong (not JSON, not an
// object, a field of the wrong type, too large, trailing data, text that is not valid
// Unicode) is a 400000 naming it.
func decode(r *http.Request, v any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
			return badRequest("Content-Type must be application/json.")
		}
	}
	dec := json.NewDecoder(r.Body)
	var raw json.RawMessage
	if err := dec.Decode(&raw); err != nil {
		return decodeError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return badRequest("Malformed JSON: unexpected data after the body.")
	}
	if raw[0] != '{' { // null would otherwise decode as an empty object
		return badRequest("The body must be a JSON object.")
	}
	if err := jsonText(raw); err != nil {
		return err
	}
	obj := json.NewDecoder(bytes.NewReader(raw))
	obj.UseNumber()
	if err := obj.Decode(v); err != nil {
		return decodeError(err)
	}
	return nil
}

// decodeOptional is decode for bodies that may be absent (axios sends body-less calls
// with a form content type and no bytes).
func decodeOptional(r *http.Request, v any) error {
	if r.ContentLength == 0 {
		return nil
	}
	peek := make([]byte, 1)
	n, _ := io.ReadFull(r.Body, peek)
	if n == 0 {
		return nil
	}
	r.Body = io.NopCloser(io.MultiReader(strings.NewReader(string(peek[:n])), r.Body))
	return decode(r, v)
}

func decodeError(err error) error {
	var maxErr *http.MaxBytesError
	var typeErr *json.UnmarshalTypeError
	var syntaxErr *json.SyntaxError
	switch {
	case errors.As(err, &maxErr):
		return badRequest("Request body is larger than %d bytes.", maxErr.Limit)
	case errors.Is(err, os.ErrDeadlineExceeded):
		// The server's body deadline (cmd/parley, withDeadlines) cut the read.
		return chat.Errorf(chat.CodeRequestTimeout, "The request body did not arrive in time.")
	case errors.As(err, &typeErr):
		if typeErr.Field == "" {
			return badRequest("The body must be a JSON object.")
		}
		return badRequest("%s must be of type %s.", typeErr.Field, jsonType(typeErr.Type.String()))
	case errors.As(err, &syntaxErr), errors.Is(err, io.ErrUnexpectedEOF):
		return badRequest("Malformed JSON.")
	case errors.Is(err, io.EOF):
		return badRequest("A JSON body is required.")
	case errors.As(err, new(*json.InvalidUnmarshalError)):
		return err // a bug: answered 500000 and logged
	default:
		// Anything else is the connection failing under the read (reset, closed): its
		// text names socket addresses, so the client is told only that the body broke.
		return badRequest("Malformed JSON: the body could not be read.")
	}
}

// jsonType names a Go type the way a client thinks of it.
func jsonType(goType string) string {
	switch {
	case strings.Contains(goType, "[]"):
		return "array"
	case strings.Contains(goType, "string"):
		return "string"
	case strings.Contains(goType, "bool"):
		return "boolean"
	case strings.Contains(goType, "int"), strings.Contains(goType, "float"), strings.Contains(goType, "Number"):
		return "number"
	default:
		return "object"
	}
}
