package whatsmeow

import (
	"context"
	"fmt"
	"log/slog"

	waLog "go.mau.fi/whatsmeow/util/log"
)

// waLogger adapts slog to whatsmeow's printf-style waLog.Logger. The slog message is constant and
// whatsmeow's formatted line goes into an attribute (STYLE.md §5). Its level is a LevelVar: WARN by
// default, because whatsmeow's DEBUG and INFO lines name phone numbers and JIDs; a session's level
// can be lowered on demand (Driver.SetLogLevel).
type waLogger struct {
	log    *slog.Logger
	level  *slog.LevelVar
	module string
}

var _ waLog.Logger = (*waLogger)(nil)

func newWALogger(log *slog.Logger, level *slog.LevelVar, module string) *waLogger {
	return &waLogger{log: log, level: level, module: module}
}

func (l *waLogger) Errorf(msg string, args ...any) { l.emit(slog.LevelError, msg, args) }
func (l *waLogger) Warnf(msg string, args ...any)  { l.emit(slog.LevelWarn, msg, args) }
func (l *waLogger) Infof(msg string, args ...any)  { l.emit(slog.LevelInfo, msg, args) }
func (l *waLogger) Debugf(msg string, args ...any) { l.emit(slog.LevelDebug, msg, args) }

// Sub returns a logger for a part of whatsmeow (e.g. "Client/Socket"), sharing the level.
func (l *waLogger) Sub(module string) waLog.Logger {
	if l.module != "" {
		module = l.module + "/" + module
	}
	return &waLogger{log: l.log, level: l.level, module: module}
}

func (l *waLogger) emit(level slog.Level, format string, args []any) {
	// Check before formatting: whatsmeow logs a lot at DEBUG and Sprintf is not free.
	if level < l.level.Level() || !l.log.Enabled(context.Background(), level) {
		return
	}
	l.log.Log(context.Background(), level, "whatsmeow", "module", l.module, "detail", fmt.Sprintf(format, args...))
}
