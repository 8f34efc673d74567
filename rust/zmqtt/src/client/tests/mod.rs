//! Client scenarios against a fake broker and a fake clock.

mod set_config {
    use crate::client::{Client, Config, ConfigError, Publish, State};
    use crate::codec::QoS;
    use crate::time::Instant;

    #[test]
    fn set_config_while_idle_keeps_messages_published_before_connect() {
        let mut client: Client<'_, 2, 2, 256, 64> = Client::new(Config::new("dev")).unwrap();
        let now = Instant::ZERO;
        client
            .publish(now, &Publish::new("a/b", b"early", QoS::AtLeastOnce))
            .unwrap();
        assert_eq!(client.queued_len() + client.inflight_len(), 1);
        client
            .set_config(
                Config::new("dev")
                    .keep_alive(5)
                    .credentials(Some("u"), Some(b"p")),
            )
            .unwrap();
        assert_eq!(client.config().keep_alive, 5);
        assert_eq!(client.queued_len() + client.inflight_len(), 1);
    }

    #[test]
    fn set_config_is_refused_unless_idle_and_checks_the_config() {
        let mut client: Client<'_, 2, 2, 256, 64> = Client::new(Config::new("dev")).unwrap();
        assert_eq!(
            client.set_config(Config::new("dev").credentials(None, Some(b"p"))),
            Err(ConfigError::PasswordWithoutUsername)
        );
        client.connect(Instant::ZERO);
        assert_ne!(client.state(), State::Idle);
        assert_eq!(
            client.set_config(Config::new("dev")),
            Err(ConfigError::NotIdle)
        );
    }
}
