/*
 * Go glue for filelock: the low-level package filelock.dev/filelock/internal/native,
 * generated with `swig -go -cgo -intgosize 64`. Only the idiomatic package
 * filelock.dev/filelock uses it.
 *
 * Typemaps, and why:
 *  - fl_status crosses as *Status (nil on success). The wrapper reads fl_last_error()
 *    right after the call, inside the same cgo call: a goroutine can move to another OS
 *    thread between two cgo calls, so a second call could read another thread's message.
 *  - Out-parameters are Go pointers the C wrapper fills (*uintptr for handles, *string for
 *    strings, *uint64 for generations, *int64 for fencing tokens); strings the library hands out are copied into Go
 *    memory and freed with fl_free inside the wrapper.
 */
%module native

%go_import("strconv", "strings")

/* cgo finds the library and its header through pkg-config (filelock.pc). */
%insert(cgo_comment_typedefs) %{
#cgo pkg-config: filelock
%}

/* ---- Status: code and this call's message, together --------------------------------- */
%insert(go_wrapper) %{
// Status is a failed call's code and the message the library set for that call.
type Status struct {
	Code    int
	Errno   int    // the OS error behind it (fl_last_os_error), 0 if none
	Path    string // the path it is about (fl_last_error_path), "" if none
	Message string
}
%}

%fragment("StatusString", "header") %{
#include <stdio.h>

/* "" on success; else "<code> <errno> <path length>\n<path><message>": this call's
 * fl_last_error(), fl_last_os_error() and fl_last_error_path(), read on its thread. */
static _gostring_ fl_go_status(int code) {
  _gostring_ none = {0, 0};
  if (code == FL_OK) return none;
  const char *message = fl_last_error();
  const char *path = fl_last_error_path();
  size_t mlen = strlen(message), plen = strlen(path);
  char *buf = (char *)malloc(mlen + plen + 64);
  if (!buf) {
    /* Go treats running out of memory as fatal too. */
    _swig_gopanic("filelock: out of memory reporting an error");
    return none;
  }
  int n = snprintf(buf, 64, "%d %d %zu\n", code, fl_last_os_error(), plen);
  memcpy(buf + n, path, plen);
  memcpy(buf + n + plen, message, mlen);
  _gostring_ s = {buf, (intgo)(n + plen + mlen)};
  return s;
}
%}

%fragment("StatusDecode", "go_runtime", fragment="CopyString") %{
func swigStatus(s string) *Status {
	if len(s) == 0 {
		return nil
	}
	s = swigCopyString(s)
	nl := strings.IndexByte(s, '\n')
	head := strings.Fields(s[:nl])
	code, _ := strconv.Atoi(head[0])
	errno, _ := strconv.Atoi(head[1])
	plen, _ := strconv.Atoi(head[2])
	rest := s[nl+1:]
	return &Status{Code: code, Errno: errno, Path: rest[:plen], Message: rest[plen:]}
}
%}

%typemap(gotype) fl_status "*Status"
%typemap(imtype) fl_status "string"
%typemap(out, fragment="StatusString") fl_status %{ $result = fl_go_status($1); %}
%typemap(goout, fragment="StatusDecode") fl_status %{ $result = swigStatus($1) %}

/* ---- Out-parameters ------------------------------------------------------------------- */
/* The caller passes pointers to zero values ("" for strings): the wrapper writes C
 * memory into them, which the Go side copies and frees. */
/* Handles cross as the C pointer in a uintptr: C memory, never moved by Go. */
%define FL_GO_HANDLE_OUT(TYPE)
%typemap(gotype) TYPE **out "*uintptr"
%typemap(in) TYPE **out %{ $1 = ($1_ltype)$input; %}
%enddef
FL_GO_HANDLE_OUT(fl_handle)
FL_GO_HANDLE_OUT(fl_state)
FL_GO_HANDLE_OUT(fl_txn)

%typemap(gotype) char **json_out "*string"
%typemap(in) char **json_out (char *tmp = NULL) %{ $1 = &tmp; %}
%typemap(argout, fragment="AllocateString") char **json_out %{
  if (tmp$argnum && *tmp$argnum)
    *$input = Swig_AllocateString(tmp$argnum, strlen(tmp$argnum));
%}
%typemap(freearg) char **json_out %{ fl_free(tmp$argnum); %}
%typemap(goargout, fragment="CopyString") char **json_out %{
	if $input != nil && len(*$input) > 0 {
		*$input = swigCopyString(*$input)
	}
%}

%typemap(gotype) uint64_t *generation_out "*uint64"
%typemap(in) uint64_t *generation_out %{ $1 = ($1_ltype)$input; %}
%typemap(gotype) int64_t *token_out "*int64"
%typemap(in) int64_t *token_out %{ $1 = ($1_ltype)$input; %}

%include "filelock.i"

/* Since 1.3, Go only: a goroutine waits in its own blocking flock(2) on the handle's
 * descriptor (lock_wait.go), where C would start a waiter thread for each wait. */
int fl_wait_fd(const fl_handle *h);
fl_status fl_lock_waited(fl_handle *h, int mode, int64_t timeout_ms, int wait_errno);
