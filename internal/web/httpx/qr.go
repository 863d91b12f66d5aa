package httpx

import (
	"encoding/base64"

	qrcode "github.com/skip2/go-qrcode"
)

// QRSize is the side, in pixels, of the QR code images the portal and the API draw.
const QRSize = 264

// QRPNG draws a QR code string (WhatsApp's pairing payload) as a PNG.
func QRPNG(s string) ([]byte, error) {
	return qrcode.Encode(s, qrcode.Medium, QRSize)
}

// QRDataURI is the QR code as a data: URI for an <img>, or "" when it cannot be drawn.
func QRDataURI(s string) string {
	png, err := QRPNG(s)
	if err != nil {
		return ""
	}
	return "data:image/png;base64," + base64.StdEncoding.EncodeToString(png)
}
