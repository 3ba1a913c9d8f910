//! Wire vectors, prefixes and round trips of the SMS-over-IP codec.

use proptest::prelude::*;

use super::*;

const SUBMIT: &[u8] =
    include_bytes!("../../tests/vectors/sms/ts24011-7.3.1-rp-data-submit-gsm7.dat");
const DELIVER: &[u8] =
    include_bytes!("../../tests/vectors/sms/ts24011-7.3.1-rp-data-deliver-ucs2.dat");

#[test]
fn the_submit_vector_reads_field_by_field_and_writes_back() {
    let rp = RpData::decode(SUBMIT).unwrap();
    assert_eq!(rp.message_reference, 1);
    assert_eq!(rp.service_centre.as_deref(), Some("+8613800100500"));
    let Tpdu::Submit(submit) = &rp.tpdu else {
        panic!("not a submit");
    };
    assert_eq!(submit.destination, "+8613900000002");
    assert_eq!(submit.validity, Validity::None);
    assert_eq!(submit.user_data.coding, Coding::Gsm7);
    assert_eq!(submit.user_data.text, "hellohello");
    assert_eq!(rp.encode().unwrap(), SUBMIT);
}

#[test]
fn the_deliver_vector_carries_chinese_in_ucs2() {
    let rp = RpData::decode(DELIVER).unwrap();
    assert_eq!(rp.message_reference, 2);
    assert_eq!(rp.service_centre.as_deref(), Some("+8613800100500"));
    let Tpdu::Deliver(deliver) = &rp.tpdu else {
        panic!("not a deliver");
    };
    assert_eq!(deliver.originator, "+8613800000001");
    assert_eq!(deliver.user_data.coding, Coding::Ucs2);
    assert_eq!(deliver.user_data.text, "你好");
    assert_eq!(rp.encode().unwrap(), DELIVER);
}

#[test]
fn every_prefix_of_the_vectors_is_an_error_not_a_panic() {
    for vector in [SUBMIT, DELIVER] {
        for end in 0..vector.len() {
            assert!(RpData::decode(&vector[..end]).is_err(), "prefix of {end}");
        }
        let mut longer = vector.to_vec();
        longer.push(0);
        assert!(RpData::decode(&longer).is_err());
    }
}

#[test]
fn other_rp_messages_and_oversized_input_are_refused() {
    let mut ack = SUBMIT.to_vec();
    ack[0] = 0x02;
    let err = RpData::decode(&ack).unwrap_err();
    assert!(err.to_string().contains("RP-MTI 2"), "{err}");
    assert!(RpData::decode(&vec![0; MAX_RP_SIZE + 1]).is_err());
}

#[test]
fn long_texts_split_into_numbered_parts_and_join_again() {
    let latin = "x".repeat(400);
    let parts = split_text(&latin, 9).unwrap();
    assert_eq!(parts.len(), 3);
    assert_eq!(parts[0].text.len(), 153);
    assert!(parts.iter().all(|p| p.concat.unwrap().reference == 9));
    assert_eq!(reassemble(&parts).unwrap(), latin);

    let chinese = "长".repeat(70);
    assert_eq!(split_text(&chinese, 1).unwrap().len(), 1);
    let chinese = "长".repeat(71);
    let parts = split_text(&chinese, 1).unwrap();
    assert_eq!(parts.len(), 2);
    assert_eq!(parts[0].text.chars().count(), 67);

    // An emoji at the boundary is never cut in half.
    let emoji = format!("{}😀", "长".repeat(66));
    let text = format!("{emoji}{}", "a".repeat(10));
    let parts = split_text(&text, 3).unwrap();
    assert_eq!(parts[0].text, "长".repeat(66));
    assert_eq!(reassemble(&parts).unwrap(), text);

    // An escape sequence is never cut either.
    let euros = format!("{}€", "e".repeat(152));
    let parts = split_text(&format!("{euros}{}", "e".repeat(10)), 4).unwrap();
    assert_eq!(parts[0].text, "e".repeat(152));
}

#[test]
fn reassembly_refuses_gaps_doubles_and_strangers() {
    let parts = split_text(&"y".repeat(400), 5).unwrap();
    assert!(reassemble(&parts[..2]).is_none());
    assert!(reassemble(&[parts[0].clone(), parts[0].clone(), parts[2].clone()]).is_none());
    let other = split_text(&"z".repeat(400), 6).unwrap();
    assert!(reassemble(&[parts[0].clone(), other[1].clone(), parts[2].clone()]).is_none());
    let mut reversed = parts.clone();
    reversed.reverse();
    assert_eq!(reassemble(&reversed).unwrap(), "y".repeat(400));
}

#[test]
fn submit_text_writes_one_rp_data_per_part() {
    let bodies = submit_text(&"你".repeat(100), "+8613900000002", "+8613800100500", 200).unwrap();
    assert_eq!(bodies.len(), 2);
    let parts: Vec<_> = bodies.iter().map(|b| RpData::decode(b).unwrap()).collect();
    assert_eq!(parts[1].message_reference, 201);
    let texts: Vec<_> = parts.iter().map(|p| p.tpdu.user_data().clone()).collect();
    assert_eq!(reassemble(&texts).unwrap(), "你".repeat(100));
    assert!(submit_text(&"x".repeat(153 * 256), "+1", "+2", 0).is_err());
}

proptest! {
    #[test]
    fn any_text_round_trips(text in "\\PC{0,400}", reference in any::<u8>()) {
        let bodies = submit_text(&text, "+8613900000002", "+8613800100500", reference).unwrap();
        let parts: Vec<UserData> = bodies
            .iter()
            .map(|b| RpData::decode(b).unwrap().tpdu.user_data().clone())
            .collect();
        prop_assert_eq!(reassemble(&parts).unwrap(), text);
    }

    #[test]
    fn any_bytes_decode_without_panic(bytes in proptest::collection::vec(any::<u8>(), 0..320)) {
        let _ = RpData::decode(&bytes);
    }
}
