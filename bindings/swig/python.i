/*
 * Python glue for filelock: the low-level module `libfilelock.filelock_native`
 * (extension `_filelock_native`, never the core library's name). The idiomatic API is
 * the pure-Python package `libfilelock` on top of it.
 *
 * threads="1": every wrapper releases the GIL around the library call, so a thread
 * blocked in fl_lock, fl_txn_begin, fl_state_* or fl_append never stops the others.
 */
%module(package="libfilelock", threads="1") filelock_native

%{
#include "filelock.h"

/* Raises the exception that libfilelock._errors maps this status to. Called in the
 * wrapper right after the library call, on the same OS thread, so fl_last_error() is
 * this call's message (with its OS errno and path). */
static void fl_py_raise(int code, const char *operation) {
  const char *message = fl_last_error();
  PyObject *mod = PyImport_ImportModule("libfilelock._errors");
  if (!mod) return; /* ImportError is already set and is the clearer failure */
  PyObject *exc = PyObject_CallMethod(mod, "from_status", "issis", code, message, operation,
                                      fl_last_os_error(), fl_last_error_path());
  Py_DECREF(mod);
  if (!exc) return;
  PyErr_SetObject((PyObject *)Py_TYPE(exc), exc);
  Py_DECREF(exc);
}
%}

%typemap(out) fl_status {
  if ($1 != FL_OK) {
    fl_py_raise($1, "$symname");
    SWIG_fail;
  }
  $result = SWIG_Py_Void();
}

/* Out-parameters become return values. */
%define FL_HANDLE_OUT(TYPE)
%typemap(in, numinputs=0) TYPE **out (TYPE *tmp = NULL) { $1 = &tmp; }
%typemap(argout) TYPE **out {
  $result = SWIG_Python_AppendOutput($result,
      SWIG_NewPointerObj(SWIG_as_voidptr(tmp$argnum), $*1_descriptor, SWIG_POINTER_OWN));
}
%enddef
FL_HANDLE_OUT(fl_handle)
FL_HANDLE_OUT(fl_state)
FL_HANDLE_OUT(fl_txn)

%typemap(in, numinputs=0) char **json_out (char *tmp = NULL) { $1 = &tmp; }
%typemap(argout) char **json_out {
  PyObject *s = tmp$argnum ? PyUnicode_FromString(tmp$argnum) : SWIG_Py_Void();
  fl_free(tmp$argnum);
  tmp$argnum = NULL;
  if (!s) SWIG_fail;
  $result = SWIG_Python_AppendOutput($result, s);
}
/* Reached when the call failed or a later conversion did: never leak the string. */
%typemap(freearg) char **json_out { fl_free(tmp$argnum); }

%typemap(in, numinputs=0) uint64_t *generation_out (uint64_t tmp = 0) { $1 = &tmp; }
%typemap(argout) uint64_t *generation_out {
  $result = SWIG_Python_AppendOutput($result, PyLong_FromUnsignedLongLong(tmp$argnum));
}

%typemap(in, numinputs=0) int64_t *token_out (int64_t tmp = 0) { $1 = &tmp; }
%typemap(argout) int64_t *token_out {
  $result = SWIG_Python_AppendOutput($result, PyLong_FromLongLong(tmp$argnum));
}

%include "filelock.i"
