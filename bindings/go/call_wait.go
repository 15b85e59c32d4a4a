package filelock

import (
	"context"

	"filelock.dev/filelock/internal/native"
)

// callWait ends one native call's wait when ctx is done, through a cancel token of
// that call alone (fl_wait_opts): a cancel that lands after the call returned reaches
// nothing, so the handle needs no repair afterwards.
type callWait struct {
	opts      native.Fl_wait_opts // nil: no token, the call's own timeout
	token     native.Fl_cancel_token
	stop      chan struct{}
	watched   chan struct{}
	triggered bool // set by the watcher; read after it ended
}

// startCallWait prepares the wait options of one call: timeoutMs (FL_TIMEOUT_DEFAULT
// for the call's own) and, when ctx can be done, a token a goroutine triggers then.
func startCallWait(ctx context.Context, timeoutMs int64) *callWait {
	c := &callWait{}
	if ctx.Done() == nil && timeoutMs == int64(native.FL_TIMEOUT_DEFAULT) {
		return c
	}
	c.opts = native.NewFl_wait_opts()
	c.opts.SetTimeout_ms(timeoutMs)
	if ctx.Done() == nil {
		return c
	}
	c.token = native.NewFl_cancel_token()
	c.opts.SetCancel(c.token)
	c.stop, c.watched = make(chan struct{}), make(chan struct{})
	go func() {
		defer close(c.watched)
		select {
		case <-ctx.Done():
			native.Fl_cancel_token_trigger(c.token)
			c.triggered = true
		case <-c.stop:
		}
	}()
	return c
}

// end stops the watcher and frees the token; it reports whether ctx triggered it.
func (c *callWait) end() (triggered bool) {
	if c.stop != nil {
		close(c.stop)
		<-c.watched
	}
	if c.token != nil {
		native.DeleteFl_cancel_token(c.token)
	}
	if c.opts != nil {
		native.DeleteFl_wait_opts(c.opts)
	}
	return c.triggered
}
