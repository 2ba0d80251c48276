//! A failed opening handshake explained, like a close code: what the stage
//! and HTTP status mean and what to do, in English or Japanese
//! (docs/ARCHITECTURE.md, "Languages"). The reconnect line is written from
//! the policy (`codes::failure_policy_line`), so it never disagrees.

use crate::close::Stage;
use crate::lang::Lang;

pub struct FailureExplanation {
    pub title: String,
    pub meaning: &'static str,
    pub action: &'static str,
}

pub fn explain(stage: Stage, http_status: Option<u16>, lang: Lang) -> FailureExplanation {
    let (meaning, action) = match lang {
        Lang::En => english(stage, http_status),
        Lang::Ja => japanese(stage, http_status),
    };
    let title = match (stage, http_status, lang) {
        (Stage::Http, Some(status), _) => format!("HTTP {status}"),
        (_, _, Lang::En) => format!("{} failure", stage.as_str()),
        (_, _, Lang::Ja) => format!("{} 段階の失敗", stage.as_str()),
    };
    FailureExplanation { title, meaning, action }
}

fn english(stage: Stage, http_status: Option<u16>) -> (&'static str, &'static str) {
    match (stage, http_status) {
        (Stage::Dns, _) => {
            ("The host name did not resolve.", "Check the URL's host and the resolver (a typo, a missing record).")
        }
        (Stage::Tcp, _) => (
            "No TCP connection: refused, unreachable or reset. During a deploy: the server is not listening yet.",
            "If it lasts, check that the service runs and listens on that port, and firewalls between.",
        ),
        (Stage::Tls, _) => (
            "The TLS handshake failed: an untrusted or expired certificate, a name mismatch, or a protocol the server refuses.",
            "Check the certificate chain and name; a private CA goes in --ca-file (or tls.ca_file).",
        ),
        (Stage::Timeout, _) => (
            "A stage of the connection took longer than --connect-timeout.",
            "Check the network path and the server's load; raise --connect-timeout if it is slow by design.",
        ),
        (Stage::Http, Some(101)) => (
            "The server answered 101 but broke RFC 6455 §4.1 (a missing Upgrade or Connection header, a wrong accept key, an unrequested subprotocol): usually a proxy or a broken server.",
            "Read the detail for the rule; check proxies between wsmon and the server.",
        ),
        (Stage::Http, Some(401 | 403)) => (
            "The server refused the upgrade: the credentials are missing, wrong or expired, or not allowed here.",
            "Check the Authorization header and the variable it expands (${TOKEN}); a token may have expired.",
        ),
        (Stage::Http, Some(404)) => {
            ("The path does not exist on that server.", "Check the URL's path (and the proxy's routes).")
        }
        (Stage::Http, Some(400..=499)) => (
            "The server refused the request as made (a client error).",
            "Read the detail: a header, an origin or a subprotocol it wants.",
        ),
        (Stage::Http, Some(500..=599)) => (
            "The server, or a gateway in front of it, failed (5xx). During a deploy: the backend is not ready yet.",
            "If it lasts, check the backend and the gateway's logs.",
        ),
        (Stage::Http, _) => (
            "The HTTP upgrade failed without a usable answer.",
            "Read the detail; check that the endpoint speaks WebSocket.",
        ),
    }
}

fn japanese(stage: Stage, http_status: Option<u16>) -> (&'static str, &'static str) {
    match (stage, http_status) {
        (Stage::Dns, _) => (
            "ホスト名を名前解決できませんでした。",
            "URL のホスト名とリゾルバーを確認してください（綴りの誤り、DNS レコードの欠落など）。",
        ),
        (Stage::Tcp, _) => (
            "TCP 接続ができませんでした（拒否、到達不能、リセット）。デプロイ中なら、サーバーがまだ待ち受けを始めていないだけです。",
            "続く場合は、サービスが動いていてそのポートで待ち受けているか、途中のファイアウォールも含めて確認してください。",
        ),
        (Stage::Tls, _) => (
            "TLS ハンドシェイクに失敗しました。信頼されていないか期限切れの証明書、名前の不一致、またはサーバーが受け付けないプロトコルです。",
            "証明書チェーンと名前を確認してください。プライベート CA は --ca-file（または tls.ca_file）で指定します。",
        ),
        (Stage::Timeout, _) => (
            "接続のどこかの段階が --connect-timeout より長くかかりました。",
            "ネットワーク経路とサーバーの負荷を確認してください。もともと遅いエンドポイントなら --connect-timeout を延ばします。",
        ),
        (Stage::Http, Some(101)) => (
            "サーバーは 101 を返しましたが、RFC 6455 の 4.1 節に反していました（Upgrade や Connection ヘッダーがない、accept キーが違う、頼んでいないサブプロトコルなど）。多くはプロキシか、壊れたサーバーが原因です。",
            "詳細 (detail) でどの規則かを確かめ、wsmon とサーバーの間にあるプロキシを調べてください。",
        ),
        (Stage::Http, Some(401 | 403)) => (
            "サーバーがアップグレードを拒否しました。認証情報がない、間違っている、期限切れ、またはここでは許可されていません。",
            "Authorization ヘッダーと、そこで展開される変数（${TOKEN}）を確認してください。トークンの期限が切れているかもしれません。",
        ),
        (Stage::Http, Some(404)) => {
            ("そのパスはサーバーにありません。", "URL のパス（とプロキシのルーティング）を確認してください。")
        }
        (Stage::Http, Some(400..=499)) => (
            "サーバーがリクエストの内容を拒否しました（クライアントエラー）。",
            "詳細 (detail) を読んでください。サーバーが求めるヘッダー、オリジン、サブプロトコルが分かります。",
        ),
        (Stage::Http, Some(500..=599)) => (
            "サーバーか、その前段のゲートウェイが失敗しました (5xx)。デプロイ中なら、バックエンドの準備がまだできていません。",
            "続く場合は、バックエンドとゲートウェイのログを確認してください。",
        ),
        (Stage::Http, _) => (
            "HTTP のアップグレードが、使える応答のないまま失敗しました。",
            "詳細 (detail) を読み、そのエンドポイントが WebSocket で話すかどうかを確認してください。",
        ),
    }
}

/// A failed try in a few characters, for a row or a history line:
/// "HTTP 401", "tcp failed".
pub fn short(stage: Stage, http_status: Option<u16>) -> String {
    match (stage, http_status) {
        (Stage::Http, Some(status)) => format!("HTTP {status}"),
        (stage, _) => format!("{} failed", stage.as_str()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CASES: [(Stage, Option<u16>); 11] = [
        (Stage::Dns, None),
        (Stage::Tcp, None),
        (Stage::Tls, None),
        (Stage::Timeout, Some(101)),
        (Stage::Http, Some(101)),
        (Stage::Http, Some(401)),
        (Stage::Http, Some(404)),
        (Stage::Http, Some(429)),
        (Stage::Http, Some(503)),
        (Stage::Http, Some(302)),
        (Stage::Http, None),
    ];

    #[test]
    fn every_failure_is_explained_in_both_languages() {
        for (stage, status) in CASES {
            let (en, ja) = (explain(stage, status, Lang::En), explain(stage, status, Lang::Ja));
            assert!(!en.meaning.is_empty() && !en.action.is_empty(), "{stage:?} {status:?}");
            assert!(!ja.meaning.is_ascii() && !ja.action.is_ascii(), "{stage:?} {status:?}");
            for text in [ja.meaning, ja.action] {
                assert!(!text.contains(['–', '§', '×', '→', '…', '·']), "ambiguous width: {text}");
            }
        }
        assert_eq!(explain(Stage::Tcp, None, Lang::Ja).title, "tcp 段階の失敗");
        assert_eq!(explain(Stage::Http, Some(401), Lang::Ja).title, "HTTP 401");
    }
}
