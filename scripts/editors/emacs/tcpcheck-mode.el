;;; tcpcheck-mode.el --- Major mode for tcpcheck scripts -*- lexical-binding: t; -*-

;; Copyright (c) the tcpcheck authors
;; SPDX-License-Identifier: BSD-2-Clause
;; Keywords: languages, tools
;; Version: 0.1.0
;; Package-Requires: ((emacs "25.1"))

;;; Commentary:

;; Font lock and comment syntax for tcpcheck scripts: packetdrill's .pkt
;; language with tcpcheck's extensions, as tcpcheck-script(5) describes
;; it.  The scanner, grammar/lexer.l in tcpcheck's sources, is the
;; authority on tokens; this mode follows it: an event is a time and then
;; a packet, a call, a `command' or a %{ python }% block, and only a
;; call's own `=' (outside its parentheses) starts its result.
;;
;; Every *.pkt file opens in this mode.  To use it from a source tree:
;;
;;   (add-to-list 'load-path "/path/to/tcpcheck/scripts/editors/emacs")
;;   (require 'tcpcheck-mode)

;;; Code:

(require 'regexp-opt)

(defgroup tcpcheck nil
  "Editing tcpcheck scripts."
  :group 'languages
  :prefix "tcpcheck-")

(defface tcpcheck-time-face '((t :inherit font-lock-builtin-face))
  "Face for an event's time: 0, +.1, *, 1.0~1.2, +.1...0.25."
  :group 'tcpcheck)

(defface tcpcheck-direction-face '((t :inherit font-lock-keyword-face))
  "Face for a packet's direction, < or >."
  :group 'tcpcheck)

(defface tcpcheck-flags-face '((t :inherit font-lock-type-face))
  "Face for a packet's TCP flags: S, S., P., F., R, .5."
  :group 'tcpcheck)

(defface tcpcheck-seq-face '((t :inherit font-lock-constant-face))
  "Face for a packet's start:end(length)."
  :group 'tcpcheck)

(defface tcpcheck-delimiter-face '((t :inherit font-lock-builtin-face))
  "Face for the < and > around a packet's TCP options."
  :group 'tcpcheck)

(defface tcpcheck-number-face '((t :inherit font-lock-constant-face))
  "Face for numbers."
  :group 'tcpcheck)

(defface tcpcheck-ellipsis-face '((t :inherit font-lock-builtin-face))
  "Face for `...': a value the tool supplies or does not check."
  :group 'tcpcheck)

(defface tcpcheck-errno-face '((t :inherit font-lock-warning-face))
  "Face for errno names: EAGAIN, EINPROGRESS."
  :group 'tcpcheck)

(defface tcpcheck-state-face '((t :inherit font-lock-constant-face))
  "Face for TCP state names: ESTABLISHED, TIME-WAIT, FIN_WAIT1."
  :group 'tcpcheck)

(defface tcpcheck-escape-face '((t :inherit font-lock-regexp-grouping-backslash))
  "Face for escapes in strings: \\n, \\x41, \\101."
  :group 'tcpcheck)

(defface tcpcheck-command-face '((t :inherit font-lock-string-face))
  "Face for back-quoted shell commands."
  :group 'tcpcheck)

(defface tcpcheck-code-face '((t :inherit font-lock-doc-face))
  "Face for %{ python }% blocks."
  :group 'tcpcheck)

(defconst tcpcheck--number-re "[0-9]*\\.?[0-9]+"
  "A time's number: 0, 0.100, .1.")

(defconst tcpcheck--time-re
  (concat "^[ \t]*\\(\\*\\|\\+?" tcpcheck--number-re
	  "\\(?:[ \t]*\\(?:~\\|\\.\\.\\.\\)[ \t]*\\+?" tcpcheck--number-re
	  "\\)?\\)")
  "An event's time at the start of a line, group 1.")

(defconst tcpcheck--errnos
  '("EPERM" "ENOENT" "ESRCH" "EINTR" "EIO" "ENXIO" "E2BIG" "ENOEXEC"
    "EBADF" "ECHILD" "EAGAIN" "ENOMEM" "EACCES" "EFAULT" "ENOTBLK" "EBUSY"
    "EEXIST" "EXDEV" "ENODEV" "ENOTDIR" "EISDIR" "EINVAL" "ENFILE" "EMFILE"
    "ENOTTY" "ETXTBSY" "EFBIG" "ENOSPC" "ESPIPE" "EROFS" "EMLINK" "EPIPE"
    "EDOM" "ERANGE" "EDEADLK" "ENAMETOOLONG" "ENOLCK" "ENOSYS" "ENOTEMPTY"
    "ELOOP" "ENOMSG" "EIDRM" "ECHRNG" "EL2NSYNC" "EL3HLT" "EL3RST" "ELNRNG"
    "EUNATCH" "ENOCSI" "EL2HLT" "EBADE" "EBADR" "EXFULL" "ENOANO" "EBADRQC"
    "EBADSLT" "EBFONT" "ENOSTR" "ENODATA" "ETIME" "ENOSR" "ENONET" "ENOPKG"
    "EREMOTE" "ENOLINK" "EADV" "ESRMNT" "ECOMM" "EPROTO" "EMULTIHOP"
    "EDOTDOT" "EBADMSG" "EOVERFLOW" "ENOTUNIQ" "EBADFD" "EREMCHG" "ELIBACC"
    "ELIBBAD" "ELIBSCN" "ELIBMAX" "ELIBEXEC" "EILSEQ" "ERESTART" "ESTRPIPE"
    "EUSERS" "ENOTSOCK" "EDESTADDRREQ" "EMSGSIZE" "EPROTOTYPE" "ENOPROTOOPT"
    "EPROTONOSUPPORT" "ESOCKTNOSUPPORT" "EOPNOTSUPP" "EPFNOSUPPORT"
    "EAFNOSUPPORT" "EADDRINUSE" "EADDRNOTAVAIL" "ENETDOWN" "ENETUNREACH"
    "ENETRESET" "ECONNABORTED" "ECONNRESET" "ENOBUFS" "EISCONN" "ENOTCONN"
    "ESHUTDOWN" "ETOOMANYREFS" "ETIMEDOUT" "ECONNREFUSED" "EHOSTDOWN"
    "EHOSTUNREACH" "EALREADY" "EINPROGRESS" "ESTALE" "EUCLEAN" "ENOTNAM"
    "ENAVAIL" "EISNAM" "EREMOTEIO" "EDQUOT" "ENOMEDIUM" "EMEDIUMTYPE"
    "ECANCELED" "ENOKEY" "EKEYEXPIRED" "EKEYREVOKED" "EKEYREJECTED"
    "EOWNERDEAD" "ENOTRECOVERABLE" "ERFKILL" "EHWPOISON" "EWOULDBLOCK"
    "EDEADLOCK" "ENOTSUP")
  "Every errno name a script may write (tcpcheck's src/syscalls/symbols.c).")

(defconst tcpcheck--errno-re
  (concat "\\_<" (regexp-opt tcpcheck--errnos t) "\\_>"))

(defconst tcpcheck--state-re
  (concat "\\_<\\(?:[Tt][Cc][Pp][Ss]?_\\)?"
	  (regexp-opt '("closed" "close" "listen" "syn_sent" "syn-sent"
			"syn_recv" "syn-recv" "syn_received" "syn-received"
			"syn_rcvd" "syn-rcvd" "new_syn_recv" "new-syn-recv"
			"established" "estab" "fin_wait_1" "fin-wait-1"
			"fin_wait1" "fin-wait1" "fin_wait_2" "fin-wait-2"
			"fin_wait2" "fin-wait2" "close_wait" "close-wait"
			"closing" "last_ack" "last-ack" "time_wait"
			"time-wait"))
	  "\\_>")
  "The 11 TCP states in every spelling tcpcheck accepts, any case.")

(defconst tcpcheck--constant-re
  "\\_<\\(?:[A-Z][A-Z0-9]*_[A-Z0-9_]*\\|E?POLL[A-Z]+\\|SIOC[A-Z]+\\|FION[A-Z]+\\)\\_>"
  "SO_*, SOL_*, IPPROTO_*, MSG_*, O_*, F_*, TCP_*, POLL*, EPOLL*, ...")

(defconst tcpcheck--python-keywords
  '("and" "as" "assert" "break" "class" "continue" "def" "del" "elif"
    "else" "except" "False" "finally" "for" "from" "global" "if" "import"
    "in" "is" "lambda" "None" "nonlocal" "not" "or" "pass" "print" "raise"
    "return" "True" "try" "while" "with" "yield"))

(defun tcpcheck--ppss (&optional pos)
  "The syntax state at POS, without moving point."
  (save-excursion (syntax-ppss (or pos (point)))))

(defun tcpcheck--top-level-p (pos)
  "Non-nil if POS is outside parentheses, strings and comments."
  (let ((ppss (tcpcheck--ppss pos)))
    (and (= (car ppss) 0) (not (nth 8 ppss)))))

(defun tcpcheck--in-block-p (pos open)
  "Non-nil if POS is inside a string or block opened by the char OPEN."
  (let ((ppss (tcpcheck--ppss pos)))
    (and (nth 3 ppss) (eq (char-after (nth 8 ppss)) open))))

(defun tcpcheck--search (re limit pred)
  "Search for RE before LIMIT where PRED holds at the match's start."
  (let (found)
    (while (and (not found) (re-search-forward re limit t))
      (when (save-match-data (funcall pred (match-beginning 0)))
	(setq found t)))
    found))

;; An event: its time, then the direction of a packet or the name of what
;; it calls.  Lines inside a call's parentheses are not events.
(defconst tcpcheck--event-re
  (concat tcpcheck--time-re
	  "[ \t]*\\(?:\\([<>]\\)"
	  "\\|\\(tcp_states?\\)[ \t]*("
	  "\\|\\(include\\)[ \t]*("
	  "\\|\\([A-Za-z_][A-Za-z0-9_]*\\)[ \t]*(\\)?"))

(defun tcpcheck--match-event (limit)
  "Find the next event's time before LIMIT."
  (tcpcheck--search tcpcheck--event-re limit #'tcpcheck--top-level-p))

;; A packet's head up to its flags: direction, IP parts, ports, flags.
(defconst tcpcheck--packet-re
  (concat tcpcheck--time-re
	  "[ \t]*[<>][ \t]*"
	  "\\(?:[[(][^])\n]*[])][ \t]*\\)?"
	  "\\(?:[0-9]+>[0-9]+[ \t]+\\)?"
	  "\\(?:\\(\\(?:[SFRPUEWA]+\\.?[0-9]?\\|\\.[0-9]?\\|-\\)\\)[ \t]\\)?"))

(defun tcpcheck--match-packet (limit)
  "Find the next packet line before LIMIT."
  (tcpcheck--search tcpcheck--packet-re limit #'tcpcheck--top-level-p))

(defun tcpcheck--match-result (limit)
  "Find the next call's `=' before LIMIT: at top level, after `)'."
  (tcpcheck--search "\\(=\\)" limit
		    (lambda (pos)
		      (and (tcpcheck--top-level-p pos)
			   (save-excursion
			     (goto-char pos)
			     (skip-chars-backward " \t\n")
			     (eq (char-before) ?\)))))))

(defun tcpcheck--result-word-face ()
  "The face of the word just matched in a call's result."
  (let ((word (match-string 1)))
    (cond ((string-match-p (concat "\\`" tcpcheck--errno-re "\\'") word)
	   'tcpcheck-errno-face)
	  ((let ((case-fold-search t))
	     (string-match-p (concat "\\`" tcpcheck--state-re "\\'") word))
	   'tcpcheck-state-face)
	  (t 'font-lock-constant-face))))

(defun tcpcheck--match-in (open re)
  "A font-lock matcher for RE inside strings or blocks opened by OPEN."
  (lambda (limit)
    (tcpcheck--search re limit
		      (lambda (pos) (tcpcheck--in-block-p pos open)))))

(defun tcpcheck--match-todo (limit)
  "Find TODO, FIXME and XXX in comments before LIMIT."
  (tcpcheck--search "\\_<\\(?:TODO\\|FIXME\\|XXX\\)\\_>" limit
		    (lambda (pos) (nth 4 (tcpcheck--ppss pos)))))

(defconst tcpcheck-font-lock-keywords
  `(;; --name=value option lines
    ("^[ \t]*\\(--[A-Za-z_][A-Za-z0-9_]*\\(?:-[A-Za-z0-9_]+\\)*\\)\\(?:=\\([^ \t\n\"]+\\)\\)?"
     (1 font-lock-preprocessor-face)
     (2 font-lock-constant-face nil t))
    ;; packets: the flags, then the rest of the line
    (tcpcheck--match-packet
     (2 'tcpcheck-flags-face nil t)
     ("\\_<[0-9]+[ \t]*:[ \t]*[0-9]+[ \t]*([ \t]*[0-9]+[ \t]*)"
      (line-end-position) nil (0 'tcpcheck-seq-face))
     ("\\_<\\(?:ack\\|win\\|urg\\|udp\\|icmp\\|mtu\\)\\_>"
      (progn (goto-char (match-end 1)) (line-end-position)) nil
      (0 font-lock-keyword-face))
     ("\\_<icmp[ \t]+\\([A-Za-z_][A-Za-z0-9_]*\\)\\(?:[ \t]+\\([A-Za-z_][A-Za-z0-9_]*\\)\\)?"
      (progn (goto-char (match-end 1)) (line-end-position)) nil
      (1 font-lock-variable-name-face)
      (2 (unless (equal (match-string 2) "mtu") font-lock-variable-name-face)
	 nil t))
     ("\\_<\\(?:noecn\\|ect0\\|ect1\\|ect01\\|ce\\|tos\\|flowlabel\\|ttl\\)\\_>"
      (progn (goto-char (match-end 1)) (line-end-position)) nil
      (0 font-lock-builtin-face))
     ("\\(<\\)[^<>\n]*\\(>\\)"
      (progn (goto-char (match-end 1)) (line-end-position)) nil
      (1 'tcpcheck-delimiter-face)
      (2 'tcpcheck-delimiter-face))
     ("\\_<\\(?:md5\\|FO\\|FOEXP\\)\\_>[ \t]+\\([0-9A-Za-z_]+\\)"
      (progn (goto-char (match-end 1)) (line-end-position)) nil
      (1 'tcpcheck-number-face))
     (,(concat "\\_<" (regexp-opt '("nop" "eol" "mss" "wscale" "sackOK" "sack"
				     "TS" "val" "ecr" "md5" "FO" "FOEXP" "ECN"
				     "e0b" "ceb" "e1b"))
	       "\\_>")
      (progn (goto-char (match-end 1)) (line-end-position)) nil
      (0 font-lock-builtin-face)))
    ;; events: time, direction, what they call
    (tcpcheck--match-event
     (1 'tcpcheck-time-face)
     (2 'tcpcheck-direction-face nil t)
     (3 font-lock-keyword-face nil t)
     (4 font-lock-preprocessor-face nil t)
     (5 font-lock-function-name-face nil t))
    ;; a call's result: = -1 EAGAIN, = ESTABLISHED
    (tcpcheck--match-result
     (1 font-lock-keyword-face)
     ("\\=[ \t]*\\(-?\\(?:0[xX][0-9a-fA-F]+\\|[0-9]+\\)\\)\\_>" nil nil
      (1 'tcpcheck-number-face))
     ("\\_<\\([A-Za-z_][A-Za-z0-9_]*\\(?:-[A-Za-z0-9_]+\\)*\\)\\_>"
      (line-end-position) nil
      (1 (tcpcheck--result-word-face))))
    ("\\.\\.\\." . 'tcpcheck-ellipsis-face)
    ;; inside a call's arguments
    ("\\_<\\([A-Za-z_][A-Za-z0-9_]*\\)[ \t]*(" 1 font-lock-function-name-face)
    ("\\_<\\([A-Za-z_][A-Za-z0-9_]*\\)[ \t]*=[^=]" 1 font-lock-variable-name-face)
    (,tcpcheck--errno-re . 'tcpcheck-errno-face)
    (,tcpcheck--constant-re . font-lock-constant-face)
    ("-?\\_<\\(?:0[xX][0-9a-fA-F]+\\|[0-9]+\\(?:\\.[0-9]+\\)?\\)\\_>"
     . 'tcpcheck-number-face)
    ("[|=]" . font-lock-keyword-face)
    ;; escapes in "strings", python in %{ }%, variables in `commands`
    (,(tcpcheck--match-in ?\" "\\\\\\(?:[ntr\\\"']\\|x[0-9a-fA-F]\\{1,2\\}\\|[0-7]\\{1,3\\}\\)")
     0 'tcpcheck-escape-face t)
    (,(tcpcheck--match-in ?% (concat "\\_<" (regexp-opt tcpcheck--python-keywords)
				     "\\_>"))
     0 font-lock-keyword-face t)
    (,(tcpcheck--match-in ?` "\\$\\(?:{[^}\n]*}\\|[A-Za-z_][A-Za-z0-9_]*\\)")
     0 font-lock-variable-name-face t)
    (tcpcheck--match-todo 0 'font-lock-warning-face t))
  "Font lock for `tcpcheck-mode'.")

(defvar tcpcheck-mode-syntax-table
  (let ((st (make-syntax-table)))
    ;; // to the end of the line, /* */ across lines
    (modify-syntax-entry ?/ ". 124" st)
    (modify-syntax-entry ?* ". 23b" st)
    (modify-syntax-entry ?\n ">" st)
    (modify-syntax-entry ?\" "\"" st)
    ;; A `command' is a string to the scanner: nothing inside counts.
    (modify-syntax-entry ?` "\"" st)
    (modify-syntax-entry ?\\ "\\" st)
    (modify-syntax-entry ?' "." st)
    (modify-syntax-entry ?_ "_" st)
    (modify-syntax-entry ?% "." st)
    (modify-syntax-entry ?< "." st)
    (modify-syntax-entry ?> "." st)
    (modify-syntax-entry ?| "." st)
    (modify-syntax-entry ?= "." st)
    st)
  "Syntax table for `tcpcheck-mode'.")

(defun tcpcheck--outside-p (pos)
  "Non-nil if POS is outside strings and comments."
  (not (nth 8 (tcpcheck--ppss pos))))

(defconst tcpcheck--syntax-propertize
  (syntax-propertize-rules
   ;; %{ python }%: one string, whatever quotes the python holds
   ("\\(%\\){"
    (1 (when (tcpcheck--outside-p (match-beginning 0))
	 (string-to-syntax "|"))))
   ("}\\(%\\)"
    (1 (when (tcpcheck--in-block-p (match-beginning 1) ?%)
	 (string-to-syntax "|"))))
   ;; = -1 EAGAIN (note): the note is a comment, whatever it holds
   (")[ \t]*=[ \t]*[-0-9A-Za-z_.]+\\(?:[ \t]+[A-Za-z_][-A-Za-z0-9_]*\\)*[ \t]*\\((\\)[^()\n]*\\(?:([^()\n]*)[^()\n]*\\)*\\()\\)"
    (1 (when (tcpcheck--outside-p (match-beginning 0))
	 (string-to-syntax "!")))
    (2 (when (tcpcheck--outside-p (match-beginning 0))
	 (string-to-syntax "!")))))
  "Mark code blocks as strings and a call's notes as comments.")

(defun tcpcheck--syntactic-face (state)
  "The face of the string or comment STATE describes."
  (cond ((not (nth 3 state)) 'font-lock-comment-face)
	((eq (char-after (nth 8 state)) ?`) 'tcpcheck-command-face)
	((eq (char-after (nth 8 state)) ?%) 'tcpcheck-code-face)
	(t 'font-lock-string-face)))

;;;###autoload
(define-derived-mode tcpcheck-mode prog-mode "tcpcheck"
  "Major mode for tcpcheck scripts (tcpcheck-script(5)).

\\{tcpcheck-mode-map}"
  :syntax-table tcpcheck-mode-syntax-table
  (setq-local comment-start "// ")
  (setq-local comment-end "")
  (setq-local comment-start-skip "\\(?://+\\|/\\*+\\)\\s-*")
  (setq-local syntax-propertize-function tcpcheck--syntax-propertize)
  (setq-local font-lock-defaults
	      '(tcpcheck-font-lock-keywords
		nil nil nil nil
		(font-lock-syntactic-face-function
		 . tcpcheck--syntactic-face))))

;;;###autoload
(add-to-list 'auto-mode-alist '("\\.pkt\\'" . tcpcheck-mode))

(provide 'tcpcheck-mode)

;;; tcpcheck-mode.el ends here
